"""From an identity provider's claims to a gateway identity and role. Pure functions: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gateway_admin.permissions import ROLE_ADMIN, ROLE_DEVELOPER


class LoginRefused(Exception):
    """A sign-in the gateway will not accept; `message` is safe to show to the person signing in."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoAccess(Exception):
    """A genuine sign-in whose claims give no role here."""

    def __init__(self, *, email: str, groups: list[str]) -> None:
        super().__init__(f"{email} has no role")
        self.email = email
        self.groups = groups


def claim_value(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested objects (Keycloak's `realm_access.roles`)."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def claim_groups(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The groups a user is in: a list of strings, or one string of comma/space separated names."""
    value = claim_value(claims, claim)
    if value is None:
        return []
    if isinstance(value, str):
        return [g for g in value.replace(",", " ").split() if g]
    if isinstance(value, list | tuple):
        return [g for g in value if isinstance(g, str) and g]
    raise LoginRefused(f"The identity provider sent a '{claim}' claim that is not a list of groups.")


def verified_email(claims: Mapping[str, Any], allowed_domains: Iterable[str]) -> str:
    """The user's email, lower-cased; refused when missing, unverified, or outside the allowed domains."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email.strip("@"):
        raise LoginRefused("The identity provider did not send an email address; the gateway needs one "
                           "(ask for the 'email' scope).")
    email = email.strip().lower()
    # Providers that do not send email_verified (Entra ID) vouch for the address by issuing it.
    if claims.get("email_verified") is False or claims.get("email_verified") == "false":
        raise LoginRefused(f"The identity provider has not verified {email}.")
    domains = {d.lower() for d in allowed_domains}
    if domains and email.rsplit("@", 1)[1] not in domains:
        raise LoginRefused(f"{email} is not in a domain allowed here ({', '.join(sorted(domains))}).")
    return email


def role_for(*, groups: Iterable[str], email: str, admin_groups: Iterable[str],
             developer_groups: Iterable[str], default_role: str = "") -> str | None:
    """admin if any group (or the email address) is an admin group, else developer likewise, else
    the default role ("" -> None: no access)."""
    member_of = set(groups) | {email.lower()}

    def matches(entries: Iterable[str]) -> bool:
        return any((e.lower() if "@" in e else e) in member_of for e in entries)

    if matches(admin_groups):
        return ROLE_ADMIN
    if matches(developer_groups):
        return ROLE_DEVELOPER
    return default_role or None

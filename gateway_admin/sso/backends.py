"""Authentication backends: the identity provider's (OpenID Connect) and the password one."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from gateway_admin.sso.claims import LoginRefused, NoAccess, claim_groups, role_for, verified_email
from gateway_admin.sso.config import ProviderMetadata, provider_metadata
from gateway_admin.sso.services import sso_role_sync, sso_user_create

logger = logging.getLogger(__name__)

# Clock skew tolerated between the provider and this server when checking exp/iat/nbf.
LEEWAY_SECONDS = 60
_NOT_GIVEN = object()


class LocalPasswordBackend(ModelBackend):
    """Django's password backend; with LOCAL_LOGIN_ENABLED off only superusers get through (and keep
    their sessions), so a company that signs in through its provider has one way in per person."""

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return bool(settings.LOCAL_LOGIN_ENABLED or getattr(user, "is_superuser", False))


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code-flow backend, with the provider's endpoints from discovery, a full
    ID token validation (signature from the provider's JWKS, issuer, audience, expiry, nonce), and the
    gateway's role set from the groups claim at every sign-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # No network here: Django instantiates every backend for every authenticate() call, password
        # sign-ins included. The endpoints are read in authenticate().
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.OIDC_OP_TOKEN_ENDPOINT = self.OIDC_OP_USER_ENDPOINT = self.OIDC_OP_JWKS_ENDPOINT = ""
        self.metadata: ProviderMetadata | None = None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:  # type: ignore[override]
        # Only the callback view passes a nonce; a password sign-in (username=...) is not ours.
        if request is None or "nonce" not in kwargs or "username" in kwargs or not settings.OIDC_ENABLED:
            return None
        self.metadata = provider_metadata()
        self.OIDC_OP_TOKEN_ENDPOINT = self.metadata.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.metadata.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.metadata.jwks_uri
        return super().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        # ModelBackend's: an account deactivated here loses its session at once.
        return ModelBackend.get_user(self, user_id)

    # --- the ID token -------------------------------------------------------------------------

    def _signing_key(self, header: dict[str, Any]) -> jwt.PyJWK:
        try:
            response = httpx.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise LoginRefused("The identity provider's signing keys (JWKS) could not be read; "
                               "try again later.") from exc
        kid, alg = header.get("kid"), header.get("alg")
        for jwk in keys if isinstance(keys, list) else []:
            if not isinstance(jwk, dict) or (kid is not None and jwk.get("kid") != kid):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
                continue
            try:
                return jwt.PyJWK(jwk, algorithm=alg)
            except jwt.PyJWTError:
                continue
        raise LoginRefused("The ID token is signed with a key the identity provider does not publish "
                           f"(key id {kid!r}); the sign-in was not made by {settings.OIDC_PROVIDER_NAME}.")

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """The ID token's claims once it is proven genuine, fresh, and meant for this sign-in.
        (Called without `nonce` for a userinfo answer signed as a JWT.)"""
        nonce = kwargs.get("nonce", _NOT_GIVEN)
        id_token = nonce is not _NOT_GIVEN
        if not token or not isinstance(token, str):
            raise LoginRefused("The identity provider sent no ID token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise LoginRefused("The ID token is not a well-formed JWT.") from exc
        algorithm = self.OIDC_RP_SIGN_ALGO
        if header.get("alg") != algorithm:
            raise LoginRefused(f"The ID token is signed with {header.get('alg')!r}; this gateway accepts "
                               f"{algorithm} only (OIDC_SIGN_ALGO).")
        key = self._signing_key(header)
        assert self.metadata is not None
        required = ["exp", "iat", "iss", "aud", "sub"] if id_token else ["iss", "aud", "sub"]
        try:
            payload: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.metadata.issuer, leeway=LEEWAY_SECONDS,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LoginRefused("The ID token has expired; sign in again.") from exc
        except jwt.InvalidSignatureError as exc:
            raise LoginRefused("The ID token's signature does not match the identity provider's key; "
                               "the sign-in is forged or was altered.") from exc
        except jwt.InvalidAudienceError as exc:
            raise LoginRefused("The ID token was issued for another application (its audience is not "
                               "this gateway's client id).") from exc
        except jwt.InvalidIssuerError as exc:
            raise LoginRefused("The ID token was issued by another provider than OIDC_ISSUER.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise LoginRefused("The ID token is not valid yet; check the server's clock.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LoginRefused(f"The ID token has no '{exc.claim}' claim.") from exc
        except jwt.PyJWTError as exc:
            raise LoginRefused(f"The ID token is not valid ({exc.__class__.__name__}).") from exc
        audiences = payload.get("aud")
        if id_token and isinstance(audiences, list) and len(audiences) > 1 \
                and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise LoginRefused("The ID token names several audiences and its authorized party is not "
                               "this gateway.")
        if id_token and (not nonce or payload.get("nonce") != nonce):
            raise LoginRefused("The ID token's nonce does not match the one this browser's sign-in sent; "
                               "the answer is replayed or forged.")
        return payload

    # --- the user -----------------------------------------------------------------------------

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims with the userinfo endpoint's on top (groups often come only there)."""
        if not self.OIDC_OP_USER_ENDPOINT or not access_token:
            return dict(payload)
        try:
            userinfo = super().get_userinfo(access_token, id_token, payload)
        except LoginRefused:
            raise
        except Exception as exc:  # requests' errors and bad JSON alike: the sign-in cannot go on
            raise LoginRefused("The identity provider's userinfo endpoint did not answer; try again "
                               "later.") from exc
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise LoginRefused("The identity provider's userinfo is for another user than its ID token.")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        email = verified_email(claims, settings.OIDC_ALLOWED_DOMAINS)
        groups = claim_groups(claims, settings.OIDC_GROUPS_CLAIM)
        role = role_for(groups=groups, email=email, admin_groups=settings.OIDC_ADMIN_GROUPS,
                        developer_groups=settings.OIDC_DEVELOPER_GROUPS, default_role=settings.OIDC_DEFAULT_ROLE)
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise LoginRefused(f"Two accounts here share the email {email}; an admin must give one of "
                               "them another address first.")
        user = users[0] if users else None
        if role is None:
            if user is not None:
                sso_role_sync(user=user, role=None)  # out of every group: their tokens lose the role too
            if user is None or not getattr(user, "is_superuser", False):
                raise NoAccess(email=email, groups=groups)
        if user is None:
            user = sso_user_create(email=email, claims=claims, provider=settings.OIDC_PROVIDER_NAME)
        if role is not None:
            sso_role_sync(user=user, role=role)
        logger.info("sign-in with %s: %s as %s", settings.OIDC_PROVIDER_NAME, user.get_username(),
                    role or "superuser")
        return user

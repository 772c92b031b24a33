"""Sign-in with an OpenID Connect provider, at the Django level, against a provider served on
loopback whose keys the tests control (tests/fixtures/oidc.py): genuine sign-ins set the role from
the groups at every sign-in, and forged or replayed answers are refused with no session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from gateway_admin.permissions import ROLES, user_role
from gateway_admin.sso.claims import LoginRefused, claim_groups, role_for, verified_email
from gateway_admin.sso.config import ROLE_NAMES, forget_provider_metadata, validate_oidc_settings
from tests.fixtures.oidc import CLIENT_ID, CLIENT_SECRET, LoopbackIdP, new_rsa_key, s256
from tests.gateway_admin.test_security import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "gateway_admin.sso.backends.LocalPasswordBackend",
    "gateway_admin.sso.backends.OIDCBackend",
]
ADA = {"sub": "ada", "email": "ada@example.org", "email_verified": True}


@pytest.fixture
def oidc(idp: LoopbackIdP, db: None) -> Iterator[LoopbackIdP]:
    forget_provider_metadata()
    with override_settings(
        OIDC_ENABLED=True, OIDC_ISSUER=idp.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_ADMIN_GROUPS=["gw-admins"], OIDC_DEVELOPER_GROUPS=["gw-devs"], OIDC_ALLOWED_DOMAINS=["example.org"],
        OIDC_DEFAULT_ROLE="", OIDC_PROVIDER_NAME="Test IdP", AUTHENTICATION_BACKENDS=BACKENDS,
    ):
        yield idp
    forget_provider_metadata()


def start(client: Client) -> dict[str, str]:
    """Begin a sign-in; the parameters the app sent to the provider's authorization endpoint."""
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302, response.content[:500]
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def sign_in(client: Client, idp: LoopbackIdP, *, groups: list[str], claims: dict[str, Any] | None = None,
            **token_kwargs: Any) -> Any:
    """A full sign-in: start, the provider answers with an ID token for the nonce it was given."""
    params = start(client)
    user_claims = {**ADA, **(claims or {})}
    token_kwargs.setdefault("nonce", params["nonce"])
    idp.answer_with(idp.id_token(sub=user_claims["sub"], **token_kwargs), **user_claims, groups=groups)
    return client.get("/oidc/callback/", {"code": "code-1", "state": params["state"]})


def signed_in_user(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def assert_refused(response: Any, client: Client, words: str, status: int = 400) -> None:
    assert response.status_code == status
    body = response.content.decode()
    assert "Sign-in refused" in body and words in body, body[:2000]
    assert "_auth_user_id" not in client.session


# --- genuine sign-ins ------------------------------------------------------------------------


def test_it_sends_state_nonce_and_a_pkce_challenge_and_proves_it_at_the_token_endpoint(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid email profile"
    assert params["redirect_uri"] == "http://testserver/oidc/callback/"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["code_challenge_method"] == "S256"

    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-admins"])
    response = client.get("/oidc/callback/", {"code": "code-1", "state": params["state"]})

    assert response.status_code == 302 and response["Location"] == "/"
    (token_request,) = oidc.token_requests
    assert token_request["code"] == "code-1" and token_request["grant_type"] == "authorization_code"
    assert s256(token_request["code_verifier"]) == params["code_challenge"]
    assert token_request["client_secret"] == CLIENT_SECRET


def test_a_member_of_the_admin_group_is_created_as_admin(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["staff", "gw-admins"], claims={"given_name": "Ada"})

    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.email == "ada@example.org" and user.username == "ada@example.org" and user.first_name == "Ada"
    assert not user.has_usable_password()
    assert user_role(user) == "admin" and user.is_staff
    assert client.get("/").status_code == 200  # the admin's overview


def test_a_session_from_the_provider_lasts_oidc_session_seconds(oidc: LoopbackIdP) -> None:
    client = Client()
    with override_settings(OIDC_SESSION_SECONDS=3600):
        sign_in(client, oidc, groups=["gw-devs"])
    assert 3590 <= client.session.get_expiry_age() <= 3600


def test_a_member_of_the_developer_group_is_a_developer(oidc: LoopbackIdP) -> None:
    client = Client()
    sign_in(client, oidc, groups=["gw-devs"])

    user = signed_in_user(client)
    assert user_role(user) == "developer" and not user.is_staff
    assert client.get("/").url == "/playground/"


def test_someone_in_neither_group_sees_the_no_access_page_and_gets_no_account(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["marketing"])

    assert response.status_code == 403
    body = response.content.decode()
    assert "No access" in body and "ada@example.org" in body and "marketing" in body
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(email="ada@example.org").exists()


def test_the_role_follows_the_groups_at_every_sign_in_and_the_api_token_follows_the_role(
        oidc: LoopbackIdP, api_token_factory: Any) -> None:
    client = Client()
    sign_in(client, oidc, groups=["gw-admins"])
    user = signed_in_user(client)
    token = api_token_factory(user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/keys/").status_code == 200

    client.post("/logout/")
    sign_in(client, oidc, groups=["gw-devs"])  # moved out of the admin group at the provider

    assert user_role(signed_in_user(client)) == "developer"
    assert api.get("/api/v1/keys/").status_code == 403
    assert api.get("/api/v1/models/").status_code == 200

    client.post("/logout/")
    response = sign_in(client, oidc, groups=[])  # out of every group: no access, no role left
    assert response.status_code == 403
    user.refresh_from_db()
    assert user_role(user) is None
    # A token carries its owner's role: with none left it no longer authenticates anywhere.
    assert api.get("/api/v1/models/").status_code == 401


def test_an_existing_local_account_with_the_same_email_is_the_one_signed_in(oidc: LoopbackIdP) -> None:
    local = get_user_model().objects.create_user("ada", email="Ada@Example.org", password="a-long-password-123")
    client = Client()
    sign_in(client, oidc, groups=["gw-devs"])

    assert signed_in_user(client) == local
    assert get_user_model().objects.count() == 1


def test_a_superuser_in_no_group_is_still_let_in_as_admin(oidc: LoopbackIdP) -> None:
    get_user_model().objects.create_superuser("root", email="ada@example.org", password="a-long-password-123")
    client = Client()
    sign_in(client, oidc, groups=[])

    assert user_role(signed_in_user(client)) == "admin"


def test_a_deactivated_account_is_told_so_and_not_signed_in(oidc: LoopbackIdP) -> None:
    get_user_model().objects.create_user("ada", email="ada@example.org", is_active=False)
    client = Client()
    response = sign_in(client, oidc, groups=["gw-devs"])

    assert_refused(response, client, "deactivated", status=403)


def test_groups_can_come_from_a_nested_claim(oidc: LoopbackIdP) -> None:
    client = Client()
    with override_settings(OIDC_GROUPS_CLAIM="realm_access.roles"):
        sign_in(client, oidc, groups=[], claims={"realm_access": {"roles": ["gw-admins"]}})
    assert user_role(signed_in_user(client)) == "admin"


# --- refused sign-ins ------------------------------------------------------------------------


def test_a_callback_with_a_state_this_browser_never_sent_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-admins"])

    response = client.get("/oidc/callback/", {"code": "code-1", "state": "forged-state"})

    assert_refused(response, client, "does not belong to a sign-in started in this browser")
    assert oidc.token_requests == []  # the code was never even exchanged


def test_a_replayed_callback_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-admins"])
    query = {"code": "code-1", "state": params["state"]}
    assert client.get("/oidc/callback/", query).status_code == 302
    client.post("/logout/")

    response = client.get("/oidc/callback/", query)

    assert_refused(response, client, "already used")
    # and in another browser, which never started it
    other = Client()
    assert_refused(other.get("/oidc/callback/", query), other, "already used")


def test_a_forged_callback_signs_out_whoever_was_signed_in(oidc: LoopbackIdP) -> None:
    client = Client()
    sign_in(client, oidc, groups=["gw-admins"])
    assert signed_in_user(client) is not None

    response = client.get("/oidc/callback/", {"code": "x", "state": "forged"})

    assert_refused(response, client, "state")


def test_a_wrong_nonce_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], nonce="another-sign-ins-nonce")
    assert_refused(response, client, "nonce does not match")


def test_an_id_token_without_a_nonce_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], nonce=None)
    assert_refused(response, client, "nonce does not match")


def test_an_id_token_signed_by_another_key_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], key=new_rsa_key())  # same kid, other key
    assert_refused(response, client, "signature does not match")


def test_an_id_token_signed_by_a_key_the_provider_does_not_publish_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], key=new_rsa_key(), kid="attacker-key")
    assert_refused(response, client, "does not publish")


def test_an_id_token_signed_with_the_client_secret_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], key=CLIENT_SECRET, algorithm="HS256")
    assert_refused(response, client, "accepts RS256 only")


def test_an_expired_id_token_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], expires_in=-3600)
    assert_refused(response, client, "has expired")


def test_an_id_token_for_another_application_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], aud="some-other-client")
    assert_refused(response, client, "another application")


def test_an_id_token_from_another_issuer_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], iss="https://evil.example")
    assert_refused(response, client, "another provider")


def test_an_email_outside_the_allowed_domains_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], claims={"email": "mallory@example.com"})
    assert_refused(response, client, "not in a domain allowed here")
    assert not get_user_model().objects.exists()


def test_an_unverified_email_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"], claims={"email_verified": False})
    assert_refused(response, client, "has not verified")


def test_userinfo_for_another_subject_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **{**ADA, "sub": "eve"}, groups=["gw-admins"])
    response = client.get("/oidc/callback/", {"code": "code-1", "state": params["state"]})
    assert_refused(response, client, "another user")


def test_a_code_the_provider_refuses_to_exchange_is_refused(oidc: LoopbackIdP) -> None:
    oidc.token_status = 400
    client = Client()
    response = sign_in(client, oidc, groups=["gw-admins"])
    assert_refused(response, client, "invalid_grant")


def test_an_error_answer_from_the_provider_is_shown(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    response = client.get("/oidc/callback/", {"error": "access_denied", "error_description": "User said no",
                                              "state": params["state"]})
    assert_refused(response, client, "did not sign you in: User said no", status=403)
    assert params["state"] not in client.session["oidc_states"]


def test_an_error_answer_for_a_state_this_browser_never_sent_does_not_show_its_text(oidc: LoopbackIdP) -> None:
    client = Client()
    start(client)
    response = client.get("/oidc/callback/", {"error": "access_denied", "error_description": "Call 555-0100",
                                              "state": "forged"})
    assert_refused(response, client, "does not belong to a sign-in started in this browser")
    assert "555-0100" not in response.content.decode()


def test_an_answer_naming_another_issuer_is_refused(oidc: LoopbackIdP) -> None:
    client = Client()
    params = start(client)
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-admins"])
    response = client.get("/oidc/callback/", {"code": "c", "state": params["state"], "iss": "https://evil.example"})
    assert_refused(response, client, "another provider than the one this sign-in was sent to")
    assert oidc.token_requests == []

    params = start(client)  # the right one is accepted
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-admins"])
    response = client.get("/oidc/callback/", {"code": "c", "state": params["state"], "iss": oidc.issuer})
    assert response.status_code == 302 and signed_in_user(client) is not None


def test_an_unreachable_provider_is_a_clear_503(oidc: LoopbackIdP) -> None:
    with override_settings(OIDC_ISSUER="http://127.0.0.1:9"):
        forget_provider_metadata()
        client = Client()
        response = client.get("/oidc/authenticate/")
    assert_refused(response, client, "cannot be reached", status=503)


def test_a_discovery_document_for_another_issuer_is_not_used(oidc: LoopbackIdP) -> None:
    oidc.advertised_issuer = "https://idp.evil.example"
    client = Client()
    response = client.get("/oidc/authenticate/")
    assert_refused(response, client, "names another issuer", status=503)


# --- the login page, password sign-in, sign-out ----------------------------------------------


def test_the_login_page_offers_the_provider_beside_the_password_form(oidc: LoopbackIdP) -> None:
    body = Client().get("/login/?next=/playground/").content.decode()
    assert "Sign in with Test IdP" in body and 'href="/oidc/authenticate/?next=/playground/"' in body
    assert 'name="password"' in body


def test_without_oidc_the_login_page_is_the_password_form_only(db: None) -> None:
    body = Client().get("/login/").content.decode()
    assert "Sign in with" not in body and 'name="password"' in body
    assert Client().get("/oidc/authenticate/").status_code == 404
    assert Client().get("/oidc/callback/?code=a&state=b").status_code == 404


def test_next_is_kept_through_the_provider(oidc: LoopbackIdP) -> None:
    client = Client()
    location = client.get("/oidc/authenticate/?next=/models/")["Location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    oidc.answer_with(oidc.id_token(nonce=params["nonce"], sub="ada"), **ADA, groups=["gw-devs"])
    response = client.get("/oidc/callback/", {"code": "c", "state": params["state"]})
    assert response["Location"] == "/models/"


def test_with_local_login_off_only_superusers_sign_in_with_a_password(
        oidc: LoopbackIdP, developer_user: Any) -> None:
    from tests.fixtures.django_data import PASSWORD

    get_user_model().objects.create_superuser("root", password=PASSWORD)
    earlier = Client()
    assert earlier.post("/login/", {"username": developer_user.username, "password": PASSWORD}).status_code == 302
    with override_settings(LOCAL_LOGIN_ENABLED=False):
        page = Client().get("/login/").content.decode()
        assert "Sign in with Test IdP" in page and 'name="password"' not in page and "?local=1" in page
        assert 'name="password"' in Client().get("/login/?local=1").content.decode()

        client = Client()
        response = client.post("/login/", {"username": developer_user.username, "password": PASSWORD})
        assert response.status_code == 200
        assert "Password sign-in is for superusers only here" in response.content.decode()
        assert "_auth_user_id" not in client.session

        # a session a developer had from a password sign-in ends too
        assert earlier.get("/playground/")["Location"].startswith("/login/")

        root = Client()
        assert root.post("/login/", {"username": "root", "password": PASSWORD}).status_code == 302
        assert root.session["_auth_user_id"]


def test_with_local_login_off_the_django_admin_refuses_a_staff_password_too(oidc: LoopbackIdP, admin_user: Any) -> None:
    from tests.fixtures.django_data import PASSWORD

    assert admin_user.is_staff
    with override_settings(LOCAL_LOGIN_ENABLED=False):
        client = Client()
        response = client.post("/admin/login/", {"username": admin_user.username, "password": PASSWORD})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    client = Client()
    assert client.post("/admin/login/", {"username": admin_user.username, "password": PASSWORD}).status_code == 302


def test_axes_still_locks_password_sign_ins_with_oidc_configured(oidc: LoopbackIdP, developer_user: Any) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": developer_user.username, "password": "wrong"})
    response = client.post("/login/", {"username": developer_user.username, "password": "wrong"})
    assert response.status_code == 429 and "Sign-in locked" in response.content.decode()
    # the provider's sign-in is not a password and is not locked by it
    assert sign_in(Client(), oidc, groups=["gw-devs"]).status_code == 302


def test_sign_out_ends_the_local_session_and_then_the_providers(oidc: LoopbackIdP) -> None:
    client = Client()
    sign_in(client, oidc, groups=["gw-devs"])
    id_token = oidc.next_id_token

    response = client.post("/logout/")

    assert "_auth_user_id" not in client.session
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == oidc.issuer + "/session/end"
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [id_token] and query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]


def test_sign_out_without_an_end_session_endpoint_goes_to_the_login_page(oidc: LoopbackIdP) -> None:
    oidc.with_end_session = False
    client = Client()
    sign_in(client, oidc, groups=["gw-devs"])
    response = client.post("/logout/")
    assert response["Location"] == "/login/" and "_auth_user_id" not in client.session


# --- settings and claims ---------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"issuer": "http://idp.example.com"}, "https"),
    ({"issuer": "idp.example.com"}, "https URL"),
    ({"client_id": ""}, "OIDC_CLIENT_ID"),
    ({"client_secret": ""}, "OIDC_CLIENT_SECRET"),
    ({"scopes": "email profile"}, "openid"),
    ({"default_role": "owner"}, "OIDC_DEFAULT_ROLE"),
    ({"sign_algo": "HS256"}, "OIDC_SIGN_ALGO"),
    ({"default_role": "developer", "allowed_domains": []}, "set OIDC_ALLOWED_DOMAINS too"),
])
def test_bad_oidc_settings_fail_at_start_naming_the_variable(kwargs: dict[str, str], words: str) -> None:
    good = {"issuer": "https://idp.example.com", "client_id": "a", "client_secret": "b",
            "scopes": "openid email", "default_role": "developer", "allowed_domains": ["example.com"]}
    validate_oidc_settings(**good)
    with pytest.raises(ImproperlyConfigured, match=words):
        validate_oidc_settings(**{**good, **kwargs})


def test_the_role_names_settings_check_are_the_permission_roles() -> None:
    assert ROLE_NAMES == ROLES


def test_roles_from_groups_emails_and_the_default() -> None:
    admin, dev = ["gw-admins", "boss@example.org"], ["gw-devs"]
    assert role_for(groups=["gw-devs", "gw-admins"], email="a@x", admin_groups=admin, developer_groups=dev) == "admin"
    assert role_for(groups=[], email="Boss@Example.org", admin_groups=admin, developer_groups=dev) == "admin"
    assert role_for(groups=["gw-devs"], email="a@x", admin_groups=admin, developer_groups=dev) == "developer"
    assert role_for(groups=["other"], email="a@x", admin_groups=admin, developer_groups=dev) is None
    assert role_for(groups=[], email="a@x", admin_groups=admin, developer_groups=dev,
                    default_role="developer") == "developer"


def test_groups_claim_shapes() -> None:
    assert claim_groups({"groups": ["a", "b", 3]}, "groups") == ["a", "b"]
    assert claim_groups({"groups": "a, b c"}, "groups") == ["a", "b", "c"]
    assert claim_groups({}, "groups") == []
    assert claim_groups({"realm_access": {"roles": ["x"]}}, "realm_access.roles") == ["x"]
    with pytest.raises(LoginRefused, match="not a list"):
        claim_groups({"groups": {"a": 1}}, "groups")


def test_email_checks() -> None:
    assert verified_email({"email": "Ada@Example.ORG"}, ["example.org"]) == "ada@example.org"
    with pytest.raises(LoginRefused, match="did not send an email"):
        verified_email({}, [])
    with pytest.raises(LoginRefused, match="domain"):
        verified_email({"email": "a@example.org.evil.com", "email_verified": True}, ["example.org"])


@pytest.mark.slow
def test_the_deploy_check_is_clean_with_oidc_configured(tmp_path: Path) -> None:
    env = {**os.environ, **PRODUCTION_ENV, "VAR_DIR": str(tmp_path), "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
           "OIDC_ISSUER": "https://accounts.google.com", "OIDC_CLIENT_ID": "gw.apps.googleusercontent.com",
           "OIDC_CLIENT_SECRET": "test-only-secret", "OIDC_ALLOWED_DOMAINS": "example.com",
           "OIDC_DEFAULT_ROLE": "developer", "LOCAL_LOGIN_ENABLED": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "test-only-secret" not in result.stdout + result.stderr

"""The emulator's /token endpoint verifies service-account assertions as Google does, and API calls need its tokens."""

from __future__ import annotations

import json
import time

import google.auth.transport.requests
import httpx
import pytest
from google.auth import crypt, jwt
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

from tests.fixtures.emulator import start_emulator_process, stop_emulator_process
from tests.fixtures.service_account import make_service_account

SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GEMINI = "/v1/projects/demo-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"
BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


def _assertion(sa: dict, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": sa["client_email"], "aud": "https://oauth2.googleapis.com/token", "scope": SCOPE,
              "iat": now, "exp": now + 3600, **overrides}
    signer = crypt.RSASigner.from_service_account_info(sa)
    return jwt.encode(signer, claims).decode()


def _grant(vertex, assertion: str, grant_type: str = GRANT) -> httpx.Response:
    return httpx.post(vertex.token_uri, data={"grant_type": grant_type, "assertion": assertion})


def _token(vertex) -> str:
    return _grant(vertex, _assertion(vertex.service_account)).json()["access_token"]


def test_google_auth_mints_a_token_from_the_service_account_json(vertex):
    credentials = service_account.Credentials.from_service_account_info(vertex.service_account, scopes=[SCOPE])
    credentials.refresh(google.auth.transport.requests.Request())
    assert credentials.token.startswith("ya29.")
    assert 3500 < (credentials.expiry.timestamp() - time.time()) <= 3600
    assert vertex.token_requests() == 1
    sent = vertex.requests("/token")[-1]
    assert "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer" in sent["body"]  # form-encoded


def test_the_answer_has_googles_fields(vertex):
    response = _grant(vertex, _assertion(vertex.service_account))
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "expires_in", "token_type"}
    assert response.json()["expires_in"] == 3599
    assert response.json()["token_type"] == "Bearer"


def test_a_bad_signature_is_invalid_grant(vertex):
    impostor = make_service_account(project_id="demo-project")
    impostor["client_email"] = vertex.service_account["client_email"]
    impostor["private_key_id"] = vertex.service_account["private_key_id"]
    response = _grant(vertex, _assertion(impostor))
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}


def test_google_auth_reports_the_refused_grant(vertex):
    impostor = make_service_account(project_id="demo-project", token_uri=vertex.token_uri)
    impostor["client_email"] = vertex.service_account["client_email"]
    credentials = service_account.Credentials.from_service_account_info(impostor, scopes=[SCOPE])
    with pytest.raises(RefreshError, match="invalid_grant"):
        credentials.refresh(google.auth.transport.requests.Request())


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"aud": "http://127.0.0.1/token"}, "invalid_grant"),
        ({"iat": int(time.time()) - 9000, "exp": int(time.time()) - 5400}, "invalid_grant"),
        ({"exp": int(time.time()) + 7 * 3600}, "invalid_grant"),
        ({"scope": ""}, "invalid_scope"),
        ({"iss": "stranger@demo-project.iam.gserviceaccount.com"}, "invalid_grant"),
    ],
    ids=["wrong-audience", "expired", "too-long-lived", "no-scope", "unknown-account"],
)
def test_a_wrong_claim_is_refused(vertex, overrides, error):
    response = _grant(vertex, _assertion(vertex.service_account, **overrides))
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert vertex.token_requests() == 0


def test_another_grant_type_is_unsupported(vertex):
    response = _grant(vertex, _assertion(vertex.service_account), grant_type="client_credentials")
    assert response.json()["error"] == "unsupported_grant_type"


def test_api_calls_without_a_token_get_401_unauthenticated(vertex):
    response = httpx.post(vertex.base_url + GEMINI, json=BODY)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert response.json()["error"]["message"].startswith("Request had invalid authentication credentials.")


def test_api_calls_with_a_token_it_did_not_issue_get_401(vertex):
    response = httpx.post(vertex.base_url + GEMINI, json=BODY, headers={"Authorization": "Bearer ya29.forged"})
    assert response.status_code == 401


def test_an_expired_token_gets_401_and_a_fresh_one_works(vertex):
    token = _token(vertex)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(vertex.base_url + GEMINI, json=BODY, headers=headers).status_code == 200
    assert vertex.expire_tokens(token) == 1
    assert httpx.post(vertex.base_url + GEMINI, json=BODY, headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {_token(vertex)}"}
    assert httpx.post(vertex.base_url + GEMINI, json=BODY, headers=fresh).status_code == 200


def test_service_accounts_given_on_the_command_line_can_mint(tmp_path):
    sa = make_service_account(project_id="cli-project")
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(sa))
    process, base_url = start_emulator_process("--service-account", str(key_file))
    try:
        sa["token_uri"] = base_url + "/token"
        credentials = service_account.Credentials.from_service_account_info(sa, scopes=[SCOPE])
        credentials.refresh(google.auth.transport.requests.Request())
        path = "/v1/projects/cli-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:countTokens"
        response = httpx.post(base_url + path, json=BODY, headers={"Authorization": f"Bearer {credentials.token}"})
        assert response.status_code == 200  # the account's project is known
        assert response.json()["totalTokens"] == 2
    finally:
        stop_emulator_process(process)

"""A key whose credential the token endpoint refuses leaves the rotation, is retried later, and shows as such."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.service_account import make_service_account

pytestmark = pytest.mark.django_db(transaction=True)

CHAT = {"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def broken_key(demo_key, emulator, admin_user):
    """A second key carrying the same model, with a credential the emulator has never heard of."""
    from gateway_admin.services.keys import key_create

    unknown = make_service_account(project_id=emulator.project_id, name="deleted", token_uri=emulator.token_uri)
    # Weighted far above the good key: without cooldowns it would be tried first on every call.
    key, _ = key_create(actor=admin_user, name="broken", weight=1000, config={
        "project_id": emulator.project_id, "region": "us-central1",
        "auth_credentials": json.dumps(unknown), "deployments": {"gemini-2.0-flash": "gemini-2.0-flash"},
    })
    return key


def _token_grants(vertex, email: str) -> int:
    import base64

    count = 0
    for record in vertex.requests("/token"):
        body = record["body"] if isinstance(record["body"], str) else ""
        assertion = dict(p.split("=", 1) for p in body.split("&") if "=" in p).get("assertion", "")
        parts = assertion.split(".")
        if len(parts) == 3:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            count += payload.get("iss") == email
    return count


def test_six_calls_try_the_broken_key_at_most_once_and_the_overview_says_so(
    live_v1, demo_key, broken_key, vertex, developer_user, admin_client, api_token_factory
):
    from routing.auth import TOKEN_CACHE

    TOKEN_CACHE.clear()
    token = api_token_factory(developer_user)
    headers = {"Authorization": f"Bearer {token}"}
    before = _token_grants(vertex, broken_key.credential_client_email)  # saving the key checks it too
    for _ in range(6):
        response = live_v1.http.post("/v1/chat/completions", json=CHAT, headers=headers)
        assert response.status_code == 200, response.text

    assert _token_grants(vertex, broken_key.credential_client_email) - before <= 1
    page = admin_client.get("/").content.decode()
    assert "Out of rotation until" in page and "invalid_grant" in page
    TOKEN_CACHE.clear()

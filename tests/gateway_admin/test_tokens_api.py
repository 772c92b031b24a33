"""API tokens over the config API and the token service."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client

from gateway_admin.models import ApiToken
from gateway_admin.services.tokens import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/tokens/"


def test_creating_a_token_shows_the_raw_token_once(admin_client: Client, developer_user: Any) -> None:
    response = admin_client.post(
        URL,
        {"name": "ci", "user": developer_user.username, "model_scopes": ["gemini-2.0-flash"], "rpm_limit": 30},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    raw = body["token"]
    assert raw.startswith(body["prefix"]) and len(raw) >= 43
    assert body["user"] == developer_user.username and body["model_scopes"] == ["gemini-2.0-flash"]
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in admin_client.get(URL).content.decode()
    assert raw not in admin_client.get(f"{URL}{body['id']}/").content.decode()
    assert "token" not in admin_client.get(f"{URL}{body['id']}/").json()


def test_a_duplicate_token_name_is_a_400_naming_the_field(admin_client: Client, admin_user: Any) -> None:
    first = admin_client.post(URL, {"name": "ci"}, content_type="application/json")
    again = admin_client.post(URL, {"name": "ci"}, content_type="application/json")

    assert first.status_code == 201 and again.status_code == 400
    assert list(again.json()["errors"]) == ["name"] and "ci" in again.json()["errors"]["name"][0]
    assert ApiToken.objects.filter(name="ci").count() == 1


def test_a_token_defaults_to_the_caller(admin_client: Client, admin_user: Any) -> None:
    body = admin_client.post(URL, {"name": "mine"}, content_type="application/json").json()

    assert body["user"] == admin_user.username


def test_revoking_a_token_via_the_api_stops_it(admin_client: Client, admin_user: Any) -> None:
    token, raw = api_token_create(user=admin_user, name="t")

    response = admin_client.post(f"{URL}{token.pk}/revoke/")

    assert response.status_code == 200 and response.json()["active"] is False
    assert api_token_authenticate(raw) is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "t", "rpm_limit": 0}, "rpm_limit"),
        ({"name": "t", "user": "ghost"}, "user"),
        ({"name": "t", "model_scopes": "gemini"}, "model_scopes"),
        ({"name": "t", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "t", "secret": "x"}, "secret"),
    ],
)
def test_bad_token_input_is_a_400_naming_the_field(admin_client: Client, body: dict, field: str) -> None:
    response = admin_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ApiToken.objects.exists()


def test_tokens_are_random_and_only_their_hash_is_stored(admin_user: Any) -> None:
    raws = {api_token_create(user=admin_user, name=f"t{i}")[1] for i in range(5)}

    assert len(raws) == 5
    stored = set(ApiToken.objects.values_list("token_hash", flat=True)) | set(ApiToken.objects.values_list("prefix", flat=True))
    assert not raws & stored


def test_authenticate_finds_the_token_and_records_its_use(admin_user: Any) -> None:
    token, raw = api_token_create(user=admin_user, name="t")

    found = api_token_authenticate(raw)

    assert found is not None and found.pk == token.pk and found.user == admin_user
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    assert api_token_authenticate(raw + "x") is None
    assert api_token_authenticate("") is None
    assert api_token_authenticate(None) is None


@pytest.mark.django_db(transaction=True)
async def test_authenticate_is_usable_from_async_code(admin_user: Any) -> None:
    from asgiref.sync import sync_to_async

    _, raw = await sync_to_async(api_token_create)(user=admin_user, name="async")

    found = await sync_to_async(api_token_authenticate)(raw)

    assert found is not None and found.name == "async"

"""Who may do what, the same on pages and over the API: the audit log is for admins; developers
create and revoke only their own tokens, scoped to models the gateway serves, never logging bodies."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from gateway_admin.models import ApiToken, AuditLog

pytestmark = pytest.mark.django_db

URL = "/api/v1/tokens/"


@pytest.fixture
def served(served_models: list[str]) -> list[str]:
    return served_models


def _post(client: Client, body: dict) -> Any:
    return client.post(URL, body, content_type="application/json")


def test_the_audit_log_is_for_admins_on_the_page_and_the_api(admin_client: Client, developer_client: Client) -> None:
    assert developer_client.get(reverse("audit-log")).status_code == 403
    assert developer_client.get("/api/v1/audit-log/").status_code == 403
    assert 'href="/logs/audit/"' not in developer_client.get(reverse("settings")).content.decode()
    assert admin_client.get(reverse("audit-log")).status_code == 200
    assert admin_client.get("/api/v1/audit-log/").status_code == 200


def test_a_developer_creates_a_scoped_token_of_their_own_over_the_api(
    developer_client: Client, developer_user: Any, served: list[str]
) -> None:
    response = _post(developer_client, {"name": "mine", "model_scopes": ["gemini-2.0-flash"]})
    assert response.status_code == 201, response.content
    assert response.json()["user"] == developer_user.username


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "wide"}, "model_scopes"),
    ({"name": "logs", "model_scopes": ["gemini-2.0-flash"], "log_bodies": True}, "log_bodies"),
    ({"name": "elsewhere", "model_scopes": ["not-served-here"]}, "model_scopes[0]"),
])
def test_a_developer_cannot_create_wide_or_body_logging_tokens(
    developer_client: Client, served: list[str], body: dict, field: str
) -> None:
    response = _post(developer_client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ApiToken.objects.exists()


def test_a_developer_cannot_create_a_token_for_someone_else(
    developer_client: Client, admin_user: Any, served: list[str]
) -> None:
    response = _post(developer_client, {"name": "x", "user": admin_user.username, "model_scopes": ["gemini-2.0-flash"]})
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_a_developer_lists_and_revokes_only_their_own_tokens(
    developer_client: Client, developer_user: Any, admin_user: Any, api_token_factory: Any
) -> None:
    api_token_factory(admin_user, name="admins")
    api_token_factory(developer_user, name="mine")
    names = [t["name"] for t in developer_client.get(URL).json()["results"]]
    assert names == ["mine"]
    theirs = ApiToken.objects.get(name="admins")
    assert developer_client.post(f"{URL}{theirs.pk}/revoke/").status_code == 404
    mine = ApiToken.objects.get(name="mine")
    assert developer_client.post(f"{URL}{mine.pk}/revoke/").status_code == 200
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_admin_may_create_wide_body_logging_tokens_for_anyone(admin_client: Client, developer_user: Any) -> None:
    response = _post(admin_client, {"name": "wide", "user": developer_user.username, "log_bodies": True})
    assert response.status_code == 201, response.content


def test_the_page_refuses_a_developer_the_same(developer_client: Client, served: list[str]) -> None:
    page = developer_client.get(reverse("settings")).content.decode()
    assert 'name="log_bodies"' not in page
    assert developer_client.post(reverse("token-create"), {"name": "wide"}).status_code == 400
    forged = developer_client.post(reverse("token-create"),
                                   {"name": "logs", "model_scopes": "gemini-2.0-flash", "log_bodies": "on"})
    assert forged.status_code == 400
    assert not ApiToken.objects.exists()
    ok = developer_client.post(reverse("token-create"), {"name": "ok", "model_scopes": "gemini-2.0-flash"})
    assert ok.status_code == 201


@pytest.mark.parametrize("path", ["/", "/settings/", "/logs/requests/", "/api/v1/keys/", "/api/v1/models/"])
def test_authenticated_pages_and_api_answers_are_not_stored(admin_client: Client, path: str) -> None:
    response = admin_client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_an_api_refusal_is_not_stored_either() -> None:
    assert Client().get("/api/v1/keys/")["Cache-Control"] == "no-store"


def test_v1_answers_are_not_stored(live_v1: Any, developer_user: Any, api_token_factory: Any) -> None:
    response = live_v1.http.get("/v1/models", headers={"Authorization": f"Bearer {api_token_factory(developer_user)}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_an_admin_deactivates_reactivates_and_resets_a_password(admin_client: Client, developer_user: Any) -> None:
    admin_client.post(reverse("user-active", args=[developer_user.pk]), {"active": "0"})
    developer_user.refresh_from_db()
    assert developer_user.is_active is False
    admin_client.post(reverse("user-active", args=[developer_user.pk]), {"active": "1"})
    developer_user.refresh_from_db()
    assert developer_user.is_active is True

    admin_client.post(reverse("user-password", args=[developer_user.pk]), {"password": "a-brand-new-pass-4821"})
    developer_user.refresh_from_db()
    assert developer_user.check_password("a-brand-new-pass-4821")
    changes = [row.changes for row in AuditLog.objects.filter(object_type="user", action="update").order_by("id")]
    assert changes == [{"is_active": [True, False]}, {"is_active": [False, True]}, {"password": ["(set)", "(changed)"]}]
    assert "a-brand-new-pass-4821" not in str(changes)


def test_an_admin_deletes_a_user_and_their_tokens_but_not_themselves(
    admin_client: Client, admin_user: Any, developer_user: Any, api_token_factory: Any
) -> None:
    api_token_factory(developer_user, name="theirs")
    admin_client.post(reverse("user-delete", args=[developer_user.pk]))
    assert not get_user_model().objects.filter(pk=developer_user.pk).exists()
    assert not ApiToken.objects.filter(name="theirs").exists()
    assert AuditLog.objects.filter(object_type="user", action="delete").count() == 1

    response = admin_client.post(reverse("user-delete", args=[admin_user.pk]), follow=True)
    assert "You cannot delete yourself." in response.content.decode()
    assert get_user_model().objects.filter(pk=admin_user.pk).exists()


def test_user_management_is_for_admins_only(developer_client: Client, admin_user: Any) -> None:
    for name in ("user-active", "user-password", "user-delete"):
        assert developer_client.post(reverse(name, args=[admin_user.pk]), {"active": "0", "password": "x" * 12}).status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.is_active

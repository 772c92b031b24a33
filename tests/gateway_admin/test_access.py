"""Who may do what: (anonymous, developer, admin, API tokens) x (list, create, update, delete)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client, RequestFactory

from gateway_admin.models import VertexKey
from gateway_admin.permissions import (
    admin_required,
    developer_required,
    is_admin,
    is_developer,
    set_user_role,
    user_role,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/keys/"
CONFIG = {"project_id": "my-project", "region": "us-central1"}


@pytest.fixture
def existing_key(admin_user: Any) -> VertexKey:
    from gateway_admin.services.keys import key_create

    key, _ = key_create(actor=admin_user, name="existing", config=CONFIG)
    return key


def _client(who: str, request: pytest.FixtureRequest) -> Client:
    if who == "anonymous":
        return Client()
    if who in ("developer", "admin"):
        return request.getfixturevalue(f"{who}_client")
    token = request.getfixturevalue("admin_token" if who == "admin token" else "developer_token")
    return Client(headers={"Authorization": f"Bearer {token}"})


def _call(client: Client, action: str, key: VertexKey) -> int:
    if action == "list":
        return client.get(URL).status_code
    if action == "retrieve":
        return client.get(f"{URL}{key.pk}/").status_code
    if action == "create":
        return client.post(URL, {"name": "new", "vertex_key_config": CONFIG}, content_type="application/json").status_code
    if action == "update":
        return client.patch(f"{URL}{key.pk}/", {"weight": 3}, content_type="application/json").status_code
    if action == "delete":
        return client.delete(f"{URL}{key.pk}/").status_code
    raise AssertionError(action)


EXPECTED = {
    "anonymous": {"list": 401, "retrieve": 401, "create": 401, "update": 401, "delete": 401},
    "developer": {"list": 403, "retrieve": 403, "create": 403, "update": 403, "delete": 403},
    "developer token": {"list": 403, "retrieve": 403, "create": 403, "update": 403, "delete": 403},
    "admin": {"list": 200, "retrieve": 200, "create": 201, "update": 200, "delete": 204},
    "admin token": {"list": 200, "retrieve": 200, "create": 201, "update": 200, "delete": 204},
}
MATRIX = [(who, action, code) for who, row in EXPECTED.items() for action, code in row.items()]


@pytest.mark.parametrize(("who", "action", "expected"), MATRIX, ids=[f"{w}-{a}" for w, a, _ in MATRIX])
def test_the_keys_api_answers_each_role_as_the_matrix_says(
    who: str, action: str, expected: int, existing_key: VertexKey, request: pytest.FixtureRequest
) -> None:
    client = _client(who, request)

    assert _call(client, action, existing_key) == expected
    changed = expected < 300
    if action == "create":
        assert VertexKey.objects.filter(name="new").exists() is changed
    if action == "update":
        assert (VertexKey.objects.get(pk=existing_key.pk).weight == 3) is changed
    if action == "delete":
        assert VertexKey.objects.filter(pk=existing_key.pk).exists() is not changed


def test_anonymous_requests_are_told_how_to_authenticate() -> None:
    response = Client().get(URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("path", ["/api/v1/users/", "/api/v1/audit-log/"])
@pytest.mark.parametrize(("who", "expected"), [("anonymous", 401), ("developer", 403), ("developer token", 403), ("admin", 200), ("admin token", 200)])
def test_users_and_audit_log_are_admin_only(path: str, who: str, expected: int, request: pytest.FixtureRequest) -> None:
    assert _client(who, request).get(path).status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 401), ("developer", 200), ("developer token", 200), ("admin", 200), ("admin token", 200)])
def test_tokens_are_listed_to_every_role_their_own_for_developers(who: str, expected: int, request: pytest.FixtureRequest) -> None:
    assert _client(who, request).get("/api/v1/tokens/").status_code == expected


@pytest.mark.parametrize("header", ["Bearer vga_not-a-real-token", "Bearer ", "Bearer x y"])
def test_a_bad_bearer_token_is_a_401_not_a_silent_anonymous_request(header: str) -> None:
    response = Client(headers={"Authorization": header}).get(URL)

    assert response.status_code == 401
    assert response.json()["errors"] == {}


def test_a_revoked_token_stops_working(admin_user: Any, api_token_factory: Any) -> None:
    from gateway_admin.models import ApiToken
    from gateway_admin.services.tokens import api_token_revoke

    raw = api_token_factory(admin_user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(URL).status_code == 200

    api_token_revoke(actor=admin_user, token=ApiToken.objects.get())

    assert client.get(URL).status_code == 401


def test_an_expired_token_stops_working(admin_user: Any, api_token_factory: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from gateway_admin.models import ApiToken

    raw = api_token_factory(admin_user, expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(URL).status_code == 401


def test_a_token_of_a_deactivated_user_stops_working(admin_user: Any, admin_token: str) -> None:
    admin_user.is_active = False
    admin_user.save()

    assert Client(headers={"Authorization": f"Bearer {admin_token}"}).get(URL).status_code == 401


def test_session_writes_need_a_csrf_token_but_token_writes_do_not(admin_user: Any, admin_token: str) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    body = {"name": "csrf", "vertex_key_config": CONFIG}

    refused = browser.post(URL, body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not VertexKey.objects.filter(name="csrf").exists()

    automation = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {admin_token}"})
    assert automation.post(URL, body, content_type="application/json").status_code == 201


def test_roles_come_from_groups_and_superusers_are_admins(django_user_model: Any) -> None:
    plain = django_user_model.objects.create_user("plain")
    boss = django_user_model.objects.create_superuser("boss")
    assert user_role(plain) is None and not is_developer(plain)
    assert user_role(boss) == "admin" and is_admin(boss) and is_developer(boss)
    assert user_role(AnonymousUser()) is None

    set_user_role(plain, "developer")
    assert user_role(plain) == "developer" and is_developer(plain) and not is_admin(plain)
    set_user_role(plain, "admin")
    assert user_role(plain) == "admin" and is_developer(plain)
    assert list(plain.groups.values_list("name", flat=True)) == ["admin"]
    set_user_role(plain, None)
    assert user_role(plain) is None
    with pytest.raises(ValueError, match="unknown role"):
        set_user_role(plain, "owner")


def _view(request: Any) -> HttpResponse:
    return HttpResponse("ok")


@pytest.mark.parametrize(("decorator", "who", "outcome"), [
    (admin_required, "anonymous", "login"),
    (admin_required, "developer", "403"),
    (admin_required, "admin", "ok"),
    (developer_required, "anonymous", "login"),
    (developer_required, "developer", "ok"),
    (developer_required, "admin", "ok"),
])
def test_page_decorators_redirect_anonymous_users_and_refuse_missing_roles(
    decorator: Any, who: str, outcome: str, request: pytest.FixtureRequest
) -> None:
    http = RequestFactory().get("/somewhere/?x=1")
    http.user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(f"{who}_user")
    view = decorator(_view)

    if outcome == "403":
        with pytest.raises(PermissionDenied):
            view(http)
        return
    response = view(http)
    if outcome == "login":
        assert response.status_code == 302
        assert "next=/somewhere/%3Fx%3D1" in response["Location"]
    else:
        assert response.content == b"ok"


def test_the_admin_role_opens_the_django_admin_and_losing_it_closes_it(developer_user: Any, developer_client: Client) -> None:
    assert not developer_user.is_staff
    assert developer_client.get("/admin/gateway_admin/vertexkey/").status_code == 302  # to the admin login

    set_user_role(developer_user, "admin")
    developer_user.refresh_from_db()
    assert developer_user.is_staff
    assert developer_client.get("/admin/gateway_admin/vertexkey/").status_code == 200

    set_user_role(developer_user, "developer")
    developer_user.refresh_from_db()
    assert not developer_user.is_staff

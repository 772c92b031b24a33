"""Users and roles over the config API."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gateway_admin.models import AuditLog
from gateway_admin.permissions import user_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/"


def test_an_admin_creates_a_developer_who_can_then_log_in(admin_client: Client) -> None:
    response = admin_client.post(
        URL,
        {"username": "newdev", "email": "n@example.com", "password": "a-long-password-123!", "role": "developer"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == "developer" and "password" not in body
    user = get_user_model().objects.get(username="newdev")
    assert user.check_password("a-long-password-123!") and user_role(user) == "developer"
    assert AuditLog.objects.filter(object_type="user", action="create").exists()


def test_an_admin_changes_a_role(admin_client: Client, developer_user: Any) -> None:
    response = admin_client.patch(f"{URL}{developer_user.pk}/", {"role": "admin"}, content_type="application/json")

    assert response.status_code == 200 and response.json()["role"] == "admin"
    developer_user.refresh_from_db()
    assert user_role(get_user_model().objects.get(pk=developer_user.pk)) == "admin"
    assert AuditLog.objects.get(object_type="user", action="update").changes == {"role": ["developer", "admin"]}


def test_an_admin_cannot_lock_themselves_out(admin_client: Client, admin_user: Any) -> None:
    demote = admin_client.patch(f"{URL}{admin_user.pk}/", {"role": "developer"}, content_type="application/json")
    deactivate = admin_client.patch(f"{URL}{admin_user.pk}/", {"is_active": False}, content_type="application/json")

    assert demote.status_code == 400 and "role" in demote.json()["errors"]
    assert deactivate.status_code == 400 and "is_active" in deactivate.json()["errors"]
    assert user_role(get_user_model().objects.get(pk=admin_user.pk)) == "admin"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "x", "password": "123", "role": "developer"}, "password"),
        ({"username": "bad name!", "password": "a-long-password-123!", "role": "developer"}, "username"),
        ({"username": "x", "password": "a-long-password-123!", "role": "owner"}, "role"),
        ({"username": "x", "password": "a-long-password-123!", "role": "developer", "is_superuser": True}, "is_superuser"),
    ],
)
def test_bad_user_input_is_a_400_naming_the_field(admin_client: Client, body: dict, field: str) -> None:
    count = get_user_model().objects.count()

    response = admin_client.post(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert get_user_model().objects.count() == count


def test_a_username_that_exists_is_refused(admin_client: Client, developer_user: Any) -> None:
    response = admin_client.post(
        URL, {"username": developer_user.username, "password": "a-long-password-123!", "role": "developer"}, content_type="application/json"
    )

    assert response.status_code == 400 and "username" in response.json()["errors"]


def test_users_are_filtered_by_role(admin_client: Client, developer_user: Any, admin_user: Any) -> None:
    developers = admin_client.get(URL, {"role": "developer"}).json()["results"]
    admins = admin_client.get(URL, {"role": "admin"}).json()["results"]

    assert [u["username"] for u in developers] == [developer_user.username]
    assert [u["username"] for u in admins] == [admin_user.username]

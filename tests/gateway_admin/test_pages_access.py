"""Who may open which dashboard page: admins everything, developers no key or credential pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEVELOPER_PAGES = ["playground", "models", "request-log", "audit-log", "settings"]


@pytest.mark.parametrize("name", [*DEVELOPER_PAGES, "overview", "key-create"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*DEVELOPER_PAGES, "overview", "key-create"])
def test_admins_can_open_every_page(admin_client, name):
    response = admin_client.get(reverse(name))
    assert response.status_code == 200
    assert b"Sign out" in response.content


@pytest.mark.parametrize("name", DEVELOPER_PAGES)
def test_developers_can_open_playground_models_logs_and_settings(developer_client, name):
    response = developer_client.get(reverse(name))
    assert response.status_code == 200


def test_developers_landing_on_the_overview_go_to_the_playground(developer_client):
    response = developer_client.get(reverse("overview"))
    assert response.status_code == 302
    assert response["Location"] == reverse("playground")


def test_developers_are_refused_the_key_pages(developer_client, demo_key):
    for url in (reverse("key-create"), reverse("key-edit", args=[demo_key.pk])):
        response = developer_client.get(url)
        assert response.status_code == 403
        assert b"can't open this page" in response.content
    for name in ("key-delete", "key-test"):
        assert developer_client.post(reverse(name, args=[demo_key.pk])).status_code == 403
    assert developer_client.post(reverse("key-credentials-check"), {"credentials": "{}"}).status_code == 403
    assert developer_client.post(reverse("key-preview"), {}).status_code == 403


def test_developer_pages_show_no_credential_identity_or_edit_controls(developer_client, demo_key):
    for name in DEVELOPER_PAGES:
        body = developer_client.get(reverse(name)).content.decode()
        assert demo_key.credential_client_email not in body, name
        assert demo_key.credential_fingerprint not in body, name
        assert reverse("key-edit", args=[demo_key.pk]) not in body, name
        assert reverse("key-create") not in body, name


def test_login_goes_through_axes_and_locks_after_repeated_failures(client, admin_user, settings):
    from tests.fixtures.django_data import PASSWORD

    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": admin_user.username, "password": "wrong"})
        assert response.status_code in (200, 429)
    locked = client.post(url, {"username": admin_user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_correct_login_lands_on_the_overview(client, admin_user):
    from tests.fixtures.django_data import PASSWORD

    response = client.post(reverse("login"), {"username": admin_user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("overview")

"""Who may open which dashboard page: admins everything, developers no key or credential pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

DEVELOPER_PAGES = ["playground", "models", "request-log", "settings"]


@pytest.mark.parametrize("name", [*DEVELOPER_PAGES, "overview", "key-create", "audit-log"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*DEVELOPER_PAGES, "overview", "key-create", "audit-log"])
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


def test_a_locked_sign_in_gets_a_page_saying_for_how_long(client, developer_user, settings):
    settings.AXES_COOLOFF_TIME = 0.5  # hours
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": developer_user.username, "password": "wrong"})

    locked = client.post(url, {"username": developer_user.username, "password": "still wrong"})

    assert locked.status_code == 429
    assert {"auth/locked_out.html", "auth/layout.html"} <= {t.name for t in locked.templates}
    body = locked.content.decode()
    assert "Sign-in locked" in body and "locked here for 30 minutes" in body
    assert f"after {settings.AXES_FAILURE_LIMIT} failed attempts" in body and developer_user.username in body
    assert 'name="password"' not in body and reverse("login") in body


@pytest.mark.parametrize("hours, text", [(0.25, "15 minutes"), (1 / 60, "1 minute"), (2, "2 hours")])
def test_the_lockout_page_words_the_wait(hours, text):
    from datetime import timedelta

    from gateway_admin.web.views.lockout import cooloff_text

    assert cooloff_text(timedelta(hours=hours)) == text
    assert cooloff_text(None) == ""


def _nav(body: str) -> bool:
    """Whether the page shows the admin navigation (the Configure section)."""
    return reverse("key-create") in body and "Keys overview" in body


def test_the_404_page_shows_each_role_its_own_navigation(client, admin_client, developer_client):
    admin = admin_client.get("/no-such-page/")
    assert admin.status_code == 404 and admin.templates[0].name == "404.html"
    assert _nav(admin.content.decode()) and "Admin</div>" in admin.content.decode()

    developer = developer_client.get("/no-such-page/")
    body = developer.content.decode()
    assert developer.status_code == 404 and not _nav(body) and "Developer</div>" in body
    assert reverse("playground") in body

    anonymous = client.get("/no-such-page/").content.decode()
    assert "Sign out" not in anonymous and reverse("models") not in anonymous and reverse("login") in anonymous


def test_the_403_page_knows_the_role(developer_client, demo_key, django_user_model):
    body = developer_client.get(reverse("key-create")).content.decode()
    assert "Your role, developer, does not allow it" in body and not _nav(body)

    nobody = django_user_model.objects.create_user(username="no-role", password="a-long-password-1234")
    client = Client()
    client.force_login(nobody)
    response = client.get(reverse("playground"))
    assert response.status_code == 403
    assert "no role yet" in response.content.decode() and not _nav(response.content.decode())


def test_an_admin_gets_the_admin_navigation_on_a_missing_key(admin_client):
    response = admin_client.get(reverse("key-edit", args=[999999]))
    assert response.status_code == 404 and _nav(response.content.decode())


def test_the_api_docs_script_names_both_documents(client):
    script = client.get("/api/docs/?script=").content.decode()
    assert '"/api/schema/"' in script and '"/v1/openapi.json"' in script
    assert "StandaloneLayout" in script  # the layout with the definition selector

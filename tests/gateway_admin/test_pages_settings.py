"""Settings: API tokens shown once, scoped and revocable; users and roles for admins only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from gateway_admin.models import ApiToken
from gateway_admin.permissions import user_role
from gateway_admin.services.tokens import api_token_authenticate

pytestmark = pytest.mark.django_db


def test_a_new_token_is_shown_once_then_only_its_prefix(developer_client, developer_user, served_models):
    response = developer_client.post(reverse("token-create"),
                                     {"name": "ci", "model_scopes": "gemini-2.0-flash, claude-sonnet-4-5"})
    # POST/redirect/GET: reloading the page that shows the token does not create another one.
    assert response.status_code == 302 and response["Location"] == reverse("settings")
    token = ApiToken.objects.get(name="ci")
    assert token.prefix not in response["Location"]
    shown = developer_client.get(response["Location"])
    assert shown["Cache-Control"] == "no-store"
    first = shown.content.decode()
    raw = first.split('id="new-token-value">')[1].split("<")[0]
    assert raw.startswith(token.prefix)
    assert api_token_authenticate(raw).pk == token.pk
    assert token.model_scopes == ["gemini-2.0-flash", "claude-sonnet-4-5"] and token.user == developer_user
    assert 'id="copy-token"' in first
    assert raw not in str(dict(developer_client.session))  # gone from the session once shown
    second = developer_client.get(reverse("settings")).content.decode()
    assert raw not in second and token.prefix in second
    assert ApiToken.objects.count() == 1


def test_a_second_live_token_with_the_same_name_is_refused_beside_the_name(developer_client, developer_user,
                                                                             admin_user, api_token_factory,
                                                                             served_models):
    developer_client.post(reverse("token-create"), {"name": "ci", "model_scopes": "gemini-2.0-flash"})
    again = developer_client.post(reverse("token-create"), {"name": "ci", "model_scopes": "gemini-2.0-flash"})
    assert again.status_code == 400
    html = again.content.decode()
    assert 'id="err_name"' in html and 'already has a live token named &quot;ci&quot;' in html
    assert ApiToken.objects.filter(name="ci").count() == 1
    # Another user's token may have the name; a revoked one frees it.
    api_token_factory(admin_user, name="ci")
    ApiToken.objects.filter(user=developer_user).update(revoked_at="2026-01-01T00:00:00Z")
    assert developer_client.post(reverse("token-create"), {"name": "ci", "model_scopes": "gemini-2.0-flash"}).status_code == 302
    assert ApiToken.objects.filter(name="ci").count() == 3


def test_the_database_refuses_two_live_tokens_of_one_user_with_one_name(developer_user):
    from django.db import IntegrityError, transaction

    ApiToken.objects.create(user=developer_user, name="ci", prefix="vga_a", token_hash="a" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=developer_user, name="ci", prefix="vga_b", token_hash="b" * 64)


def test_token_errors_are_shown_beside_the_field(developer_client):
    response = developer_client.post(reverse("token-create"), {"name": "", "rpm_limit": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err_name"' in html and 'id="err_rpm_limit"' in html
    assert not ApiToken.objects.exists()


def test_a_token_can_be_revoked_and_stops_working(developer_client, developer_user, api_token_factory):
    raw = api_token_factory(developer_user, name="old")
    token = ApiToken.objects.get(name="old")
    response = developer_client.post(reverse("token-revoke", args=[token.pk]))
    assert response.status_code == 302
    assert api_token_authenticate(raw) is None
    assert "revoked" in developer_client.get(reverse("settings")).content.decode()


def test_developers_see_and_revoke_only_their_own_tokens(developer_client, admin_user, api_token_factory):
    api_token_factory(admin_user, name="admins-token")
    token = ApiToken.objects.get(name="admins-token")
    assert "admins-token" not in developer_client.get(reverse("settings")).content.decode()
    assert developer_client.post(reverse("token-revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_users_and_roles_are_for_admins_only(admin_client, developer_client, developer_user):
    assert "Users and roles" in admin_client.get(reverse("settings")).content.decode()
    assert "Users and roles" not in developer_client.get(reverse("settings")).content.decode()
    assert developer_client.post(reverse("user-create"), {"username": "x"}).status_code == 403
    assert developer_client.post(reverse("user-role", args=[developer_user.pk]), {"role": "admin"}).status_code == 403


def test_an_admin_creates_a_user_and_changes_a_role(admin_client, developer_user):
    response = admin_client.post(reverse("user-create"), {"username": "erin", "password": "a-long-pass-9876",
                                                          "role": "developer"})
    assert response.status_code == 302
    erin = get_user_model().objects.get(username="erin")
    assert user_role(erin) == "developer"
    admin_client.post(reverse("user-role", args=[developer_user.pk]), {"role": "admin"})
    developer_user.refresh_from_db()
    assert user_role(get_user_model().objects.get(pk=developer_user.pk)) == "admin"


def test_a_weak_password_is_refused_beside_the_field_and_never_echoed(admin_client):
    response = admin_client.post(reverse("user-create"), {"username": "frank", "password": "password",
                                                          "role": "developer"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="err_password"' in html
    assert 'value="password"' not in html
    assert not get_user_model().objects.filter(username="frank").exists()


def test_an_admin_cannot_remove_their_own_admin_role(admin_client, admin_user):
    response = admin_client.post(reverse("user-role", args=[admin_user.pk]), {"role": "developer"}, follow=True)
    assert "cannot remove your own admin role" in response.content.decode()
    assert user_role(get_user_model().objects.get(pk=admin_user.pk)) == "admin"


def test_settings_give_ready_client_configurations_with_a_new_token(admin_client):
    created = admin_client.post(reverse("token-create"), {"name": "laptop"}, follow=True).content.decode()
    raw = created.split('id="new-token-value">')[1].split("<")[0]
    assert f"export ANTHROPIC_BASE_URL=http://testserver\nexport ANTHROPIC_AUTH_TOKEN={raw}" in created
    assert "export ANTHROPIC_VERTEX_BASE_URL=http://testserver/vertex/v1" in created
    assert f'ANTHROPIC_CUSTOM_HEADERS="Authorization: Bearer {raw}"' in created
    assert "CLAUDE_CODE_SKIP_VERTEX_AUTH=1" in created and "CLAUDE_CODE_USE_VERTEX=1" in created
    assert "http://testserver/vertex/" in created  # google-genai's base URL

    later = admin_client.get(reverse("settings")).content.decode()
    assert raw not in later
    assert "export ANTHROPIC_AUTH_TOKEN=$VERTEX_GATEWAY_TOKEN" in later

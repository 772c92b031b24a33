"""Management commands: rotate_credentials, check_credentials, create_api_token, ensure_superuser, demo_setup."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from gateway_admin.crypto import decrypt_credentials
from gateway_admin.models import ApiToken, AuditLog, VertexKey
from gateway_admin.permissions import user_role
from gateway_admin.services.keys import key_create

pytestmark = pytest.mark.django_db


def _run(*args: Any, **kwargs: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def two_keys(admin_user: Any, settings: Any, service_account_factory: Any) -> list[VertexKey]:
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    keys = []
    for name in ("one", "two"):
        sa = json.dumps(service_account_factory(name=name))
        key, _ = key_create(
            actor=admin_user, name=name, config={"project_id": "my-project", "region": "us-central1", "auth_credentials": sa}
        )
        keys.append(key)
    key_create(actor=admin_user, name="adc", config={"project_id": "my-project", "region": "us-central1"})
    return keys


def test_rotate_re_encrypts_every_row_with_the_first_key(two_keys: list[VertexKey], settings: Any) -> None:
    old = settings.CREDENTIAL_KEYS[0]
    plain = {k.pk: decrypt_credentials(k.credentials_encrypted) for k in two_keys}
    new = Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [new, old]

    out, _ = _run("rotate_credentials")

    assert "2 credential(s)" in out
    settings.CREDENTIAL_KEYS = [new]  # the old key can now be retired
    for key in VertexKey.objects.exclude(credentials_encrypted=""):
        assert decrypt_credentials(key.credentials_encrypted) == plain[key.pk]
    assert AuditLog.objects.filter(action="rotate").count() == 1


def test_rotate_changes_nothing_when_a_row_cannot_be_decrypted(two_keys: list[VertexKey], settings: Any) -> None:
    old = settings.CREDENTIAL_KEYS[0]
    foreign = Fernet(Fernet.generate_key()).encrypt(b"{}").decode()
    VertexKey.objects.filter(pk=two_keys[1].pk).update(credentials_encrypted=foreign)
    before = dict(VertexKey.objects.values_list("pk", "credentials_encrypted"))
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode(), old]

    with pytest.raises(CommandError) as caught:
        _run("rotate_credentials")

    assert f'key "two" (id {two_keys[1].pk})' in str(caught.value)
    assert dict(VertexKey.objects.values_list("pk", "credentials_encrypted")) == before


def test_check_passes_when_every_row_decrypts(two_keys: list[VertexKey]) -> None:
    out, _ = _run("check_credentials")

    assert "All 2 stored credential(s)" in out


def test_check_fails_naming_each_row_that_does_not_decrypt(two_keys: list[VertexKey], settings: Any) -> None:
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError) as caught:
        _run("check_credentials")

    message = str(caught.value)
    assert "2 of 2" in message
    assert 'key "one"' in message and 'key "two"' in message


def test_check_fails_when_a_credential_does_not_match_its_fingerprint(two_keys: list[VertexKey]) -> None:
    VertexKey.objects.filter(pk=two_keys[0].pk).update(credentials_encrypted=two_keys[1].credentials_encrypted)

    with pytest.raises(CommandError, match=r'key "one".*fingerprint'):
        _run("check_credentials")


def test_check_exits_non_zero_from_the_command_line(two_keys: list[VertexKey], settings: Any) -> None:
    from django.core.management import ManagementUtility

    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "check_credentials"]).execute()

    assert exited.value.code != 0


def test_create_api_token_prints_the_token_once_as_the_last_line(developer_user: Any) -> None:
    out, err = _run("create_api_token", developer_user.username, "--name", "ci", "--scope", "gemini-2.0-flash", "--rpm", "60")

    raw = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert raw.startswith("vga_") and len(raw) >= 40
    assert token.name == "ci" and token.model_scopes == ["gemini-2.0-flash"] and token.rpm_limit == 60
    assert token.user == developer_user
    assert raw not in err and token.token_hash != raw
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/keys/").status_code == 403  # a developer


def test_create_api_token_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No active user"):
        _run("create_api_token", "nobody")
    assert not ApiToken.objects.exists()


def test_ensure_superuser_uses_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-for-root-9")

    out, _ = _run("ensure_superuser")

    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.check_password("a-long-password-for-root-9")
    assert user_role(user) == "admin"
    assert "a-long-password-for-root-9" not in out


def test_ensure_superuser_generates_a_password_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)

    first, _ = _run("ensure_superuser", "--login-url", "http://127.0.0.1:8000/login/")
    second, _ = _run("ensure_superuser")

    password = next(line.split(":", 1)[1].strip() for line in first.splitlines() if "password:" in line)
    user = get_user_model().objects.get(username="admin")
    assert user.check_password(password) and user.password != password
    assert "http://127.0.0.1:8000/login/" in first
    assert password not in second and "exists" in second
    response = Client().post(reverse("login"), {"username": "admin", "password": password})
    assert response.status_code == 302 and "_auth_user_id" in response.client.session


def test_demo_setup_creates_then_updates_the_demo_key(emulator_settings: Any, emulator: Any, tmp_path: Any) -> None:
    path = tmp_path / "sa.json"
    path.write_text(emulator.service_account_json)

    first, _ = _run("demo_setup", "--service-account", str(path))
    second, _ = _run("demo_setup", "--service-account", str(path))

    key = VertexKey.objects.get(name="demo")
    assert "Created demo key" in first and "Updated demo key" in second
    assert key.project_id == "demo-project" and key.region == "us-central1"
    assert key.deployments.get(alias="claude-3-5-haiku").region_override == "us-east5"
    assert {"gemini-2.0-flash", "gemini-2.5-pro", "claude-sonnet-4-5", "text-embedding-005"} <= set(
        key.deployments.values_list("alias", flat=True)
    )
    assert any("/" in t for t in key.deployments.values_list("target", flat=True))  # a partner MaaS model
    assert key.credential_client_email == emulator.service_account["client_email"]
    assert VertexKey.objects.count() == 1

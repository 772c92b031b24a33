"""Credentials at rest: MultiFernet with their own keys, rotation, clear errors; the routing bridge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from gateway_admin import routing_config
from gateway_admin.crypto import (
    CredentialDecryptError,
    CredentialKeyError,
    decrypt_credentials,
    encrypt_credentials,
)
from gateway_admin.models import AvailabilityOverride, VertexKey
from gateway_admin.services.keys import key_create
from routing.config import KeyConfig


def test_it_round_trips_a_credential_and_the_ciphertext_does_not_contain_it(settings: Any, service_account_json: str) -> None:
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]

    token = encrypt_credentials(service_account_json)

    assert token != service_account_json
    assert "PRIVATE KEY" not in token and "client_email" not in token
    assert decrypt_credentials(token) == service_account_json


def test_empty_means_default_credentials_and_stays_empty() -> None:
    assert encrypt_credentials("") == ""
    assert decrypt_credentials("") == ""


def test_the_first_key_encrypts_and_every_key_decrypts(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIAL_KEYS = [old]
    under_old = encrypt_credentials("secret")

    settings.CREDENTIAL_KEYS = [new, old]
    under_new = encrypt_credentials("secret")

    assert decrypt_credentials(under_old) == "secret"
    assert Fernet(new.encode()).decrypt(under_new.encode()) == b"secret"
    settings.CREDENTIAL_KEYS = [new]
    with pytest.raises(CredentialDecryptError):
        decrypt_credentials(under_old, label='key "x" (id 1)')


def test_the_keys_are_not_derived_from_the_secret_key(settings: Any) -> None:
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_credentials("secret")

    settings.SECRET_KEY = "a-completely-different-secret-key-" + "x" * 40

    assert decrypt_credentials(token) == "secret"


def test_a_failed_decrypt_names_the_row_and_never_returns_the_ciphertext(settings: Any) -> None:
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_credentials("secret")
    settings.CREDENTIAL_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CredentialDecryptError) as caught:
        decrypt_credentials(token, label='key "prod" (id 7)')

    assert 'key "prod" (id 7)' in str(caught.value)
    assert token not in str(caught.value) and "secret" not in str(caught.value)


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"]])
def test_a_missing_or_malformed_key_list_is_a_clear_configuration_error(settings: Any, keys: list[str]) -> None:
    settings.CREDENTIAL_KEYS = keys

    with pytest.raises(CredentialKeyError, match="CREDENTIAL_KEYS"):
        encrypt_credentials("secret")


@pytest.mark.django_db
def test_the_database_column_holds_ciphertext_and_display_columns_hold_the_identity(
    admin_user: Any, service_account: dict, service_account_json: str
) -> None:
    key, _ = key_create(
        actor=admin_user, name="k", config={"project_id": "my-project", "region": "us-central1", "auth_credentials": service_account_json}
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM gateway_admin_vertexkey WHERE id = %s", [key.pk])
        (stored,) = cursor.fetchone()
    assert "PRIVATE KEY" not in stored
    assert service_account["private_key"][30:80] not in stored
    assert service_account["client_email"] not in stored
    assert json.loads(decrypt_credentials(stored)) == service_account
    assert key.credential_client_email == service_account["client_email"]
    assert key.credential_private_key_id == service_account["private_key_id"]
    assert key.credential_fingerprint and key.credential_fingerprint not in service_account_json


@pytest.mark.django_db
def test_key_config_decrypts_and_carries_deployments_overrides_and_allowed_models(
    admin_user: Any, settings: Any, emulator: Any
) -> None:
    settings.ALLOWED_TOKEN_URIS = [emulator.token_uri]
    key, _ = key_create(
        actor=admin_user,
        name="k",
        weight=3,
        config={
            "project_id": "demo-project",
            "project_number": "123",
            "region": "us-central1",
            "auth_credentials": emulator.service_account_json,
            "deployments": {"fast": "gemini-2.0-flash", "haiku": "claude-3-5-haiku@20241022"},
            "deployment_regions": {"haiku": "us-east5"},
            "allowedModels": ["fast"],
        },
    )

    config = routing_config.key_config(key)

    assert isinstance(config, KeyConfig)
    assert (config.key_id, config.name, config.project_id, config.project_number, config.region, config.weight) == (
        str(key.pk), "k", "demo-project", "123", "us-central1", 3,
    )
    assert config.credentials == emulator.service_account_json
    assert config.credential_fingerprint == key.credential_fingerprint
    assert [(d.alias, d.target, d.region) for d in config.deployments] == [
        ("fast", "gemini-2.0-flash", None),
        ("haiku", "claude-3-5-haiku@20241022", "us-east5"),
    ]
    assert config.allowed_models == ("fast",)
    assert config.allowed_token_uris == (emulator.token_uri,)
    assert "PRIVATE KEY" not in repr(config)


@pytest.mark.django_db
def test_enabled_key_configs_skips_disabled_keys_and_rows_that_cannot_be_decrypted(
    admin_user: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    config = {"project_id": "my-project", "region": "us-central1"}
    key_create(actor=admin_user, name="good", config=config)
    key_create(actor=admin_user, name="off", config=config, enabled=False)
    broken, _ = key_create(actor=admin_user, name="broken", config=config)
    VertexKey.objects.filter(pk=broken.pk).update(credentials_encrypted=Fernet(Fernet.generate_key()).encrypt(b"x").decode())

    names = [c.name for c in routing_config.enabled_key_configs()]

    assert names == ["good"]
    assert 'key "broken"' in caplog.text


@pytest.mark.django_db
def test_the_catalog_applies_the_admins_overrides() -> None:
    assert routing_config.catalog().is_served("claude-3-5-haiku@20241022", "us-east5") is True

    AvailabilityOverride.objects.create(model_id="claude-3-5-haiku", region="us-east5", served=False)
    AvailabilityOverride.objects.create(model_id="gemini-2.0-flash", region="us-west4", served=True)

    catalog = routing_config.catalog()
    assert catalog.is_served("claude-3-5-haiku@20241022", "us-east5") is False
    assert catalog.is_served("gemini-2.0-flash", "us-west4") is True


@pytest.mark.django_db
def test_the_router_is_built_from_enabled_keys_with_the_configured_base_url(demo_key: Any, emulator: Any) -> None:
    router = routing_config.router()

    assert router.base_url == emulator.base_url
    assert "gemini-2.0-flash" in router.models()
    candidates = router.candidates("gemini-2.0-flash")
    assert candidates and all(c.key_id == str(demo_key.pk) for c in candidates)


@pytest.mark.django_db
def test_the_router_has_no_base_url_override_unless_one_is_configured(settings: Any) -> None:
    settings.VERTEX_BASE_URL = ""

    assert routing_config.router(keys=[]).base_url is None

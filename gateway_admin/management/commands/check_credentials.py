"""Decrypt every stored credential; exit non-zero naming each row that fails."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gateway_admin.crypto import CredentialDecryptError, decrypt_credentials
from gateway_admin.models import VertexKey
from gateway_admin.routing_config import key_label
from routing.config import ConfigError, credential_fingerprint


class Command(BaseCommand):
    help = "Check that every key's credential decrypts with CREDENTIAL_KEYS and matches its stored fingerprint."

    def handle(self, *args: Any, **options: Any) -> None:
        failures: list[str] = []
        checked = 0
        for key in VertexKey.objects.exclude(credentials_encrypted="").order_by("pk"):
            checked += 1
            label = key_label(key)
            try:
                raw = decrypt_credentials(key.credentials_encrypted, label=label)
            except CredentialDecryptError as exc:
                failures.append(str(exc))
                continue
            try:
                fingerprint = credential_fingerprint(raw, allowed_token_uris=settings.ALLOWED_TOKEN_URIS)
            except ConfigError as exc:
                failures.append(f"the credential of {label} decrypts but is not valid: {exc.message}")
                continue
            if key.credential_fingerprint and fingerprint != key.credential_fingerprint:
                failures.append(f"the credential of {label} does not match its stored fingerprint")
        if failures:
            raise CommandError(f"{len(failures)} of {checked} credential(s) failed:\n  " + "\n  ".join(failures))
        self.stdout.write(self.style.SUCCESS(f"All {checked} stored credential(s) decrypt and match."))

"""Re-encrypt every stored credential with the first CREDENTIAL_KEYS entry (all or nothing)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gateway_admin.crypto import CredentialDecryptError, rotate_credentials
from gateway_admin.models import VertexKey
from gateway_admin.routing_config import key_label
from gateway_admin.services.audit import audit_record


class Command(BaseCommand):
    help = (
        "Re-encrypt every key's credential with the first of CREDENTIAL_KEYS. Put the new key first, "
        "keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        failures: list[str] = []
        rotated = 0
        with transaction.atomic():
            for key in VertexKey.objects.select_for_update().exclude(credentials_encrypted="").order_by("pk"):
                try:
                    key.credentials_encrypted = rotate_credentials(key.credentials_encrypted, label=key_label(key))
                except CredentialDecryptError as exc:
                    failures.append(str(exc))
                    continue
                # update() leaves updated_at alone: the configuration did not change.
                VertexKey.objects.filter(pk=key.pk).update(credentials_encrypted=key.credentials_encrypted)
                rotated += 1
            if failures:
                transaction.set_rollback(True)
            else:
                audit_record(
                    actor=None,
                    action="rotate",
                    object_type="vertexkey",
                    object_repr=f"{rotated} credentials",
                    changes={"encryption_key": ["previous keys", "first CREDENTIAL_KEYS entry"]},
                )
        if failures:
            raise CommandError(
                "Nothing was re-encrypted; fix these rows first (check_credentials lists them):\n  "
                + "\n  ".join(failures)
            )
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {rotated} credential(s) with the first key."))

"""Create or update the demo key that points at the local Vertex emulator (used by `make run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gateway_admin.demo import DEMO_KEY_NAME, demo_config
from gateway_admin.models import VertexKey
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.keys import key_create, key_update


class Command(BaseCommand):
    help = "Create or update the 'demo' key with a service-account file registered with the emulator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service-account", required=True, type=Path, help="Service-account key JSON file.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["service_account"]
        try:
            raw = path.read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        actor = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        config = demo_config(raw)
        existing = VertexKey.objects.filter(name=DEMO_KEY_NAME).first()
        try:
            if existing is None:
                key, warnings = key_create(actor=actor, name=DEMO_KEY_NAME, config=config)
                verb = "Created"
            else:
                key, warnings = key_update(actor=actor, key=existing, config=config, partial=False)
                verb = "Updated"
        except ServiceValidationError as exc:
            raise CommandError(f"The demo key was refused: {exc}") from exc
        self.stdout.write(f"{verb} demo key '{key.name}' ({key.deployments.count()} deployments).")
        for warning in warnings:
            self.stdout.write(f"  note: {warning}")

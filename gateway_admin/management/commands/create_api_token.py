"""Create an API token for a user; the token is printed once, as the last line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME. The raw token is the last line of the output; it is not stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="A label to tell tokens apart.")
        parser.add_argument(
            "--scope", action="append", default=[], metavar="MODEL", help="Allow only this model id (repeatable)."
        )
        parser.add_argument("--rpm", type=int, default=None, help="Requests per minute limit.")
        parser.add_argument("--expires-days", type=int, default=None, help="Expire after this many days.")
        parser.add_argument("--log-bodies", action="store_true", help="Log request and response bodies.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f'No active user "{options["username"]}".')
        expires_at = None
        if options["expires_days"] is not None:
            if options["expires_days"] < 1:
                raise CommandError("--expires-days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=options["expires_days"])
        try:
            token, raw = api_token_create(
                user=user,
                name=options["name"],
                model_scopes=options["scope"],
                rpm_limit=options["rpm"],
                log_bodies=options["log_bodies"],
                expires_at=expires_at,
            )
        except ServiceValidationError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            f'Created token "{token.name}" ({token.prefix}…) for {user.get_username()}. '
            "It is shown once, on the next line:"
        )
        self.stdout.write(raw)

"""Make sure an admin can log in: from DJANGO_SUPERUSER_USERNAME/PASSWORD, or generated and printed once."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from gateway_admin.permissions import ROLE_ADMIN, set_user_role


class Command(BaseCommand):
    help = (
        "Create the first admin. With DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD set, that "
        "account is created (or its password reset). Otherwise, when no superuser exists, one named "
        "'admin' is created with a generated password that is printed once (only its hash is stored)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--login-url", default="", help="Printed with the credentials.")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        login_url = options["login_url"]
        where = f" at {login_url}" if login_url else ""

        if username and password:
            user, created = User.objects.get_or_create(username=username)
            user.is_superuser = user.is_staff = user.is_active = True
            user.set_password(password)
            user.save()
            set_user_role(user, ROLE_ADMIN)
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} admin '{username}' from DJANGO_SUPERUSER_USERNAME/PASSWORD. Log in{where}.")
            return

        existing = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(
                f"Admin '{existing.get_username()}' exists; log in{where} with the password printed when it was "
                "created (or set DJANGO_SUPERUSER_USERNAME/DJANGO_SUPERUSER_PASSWORD to reset it)."
            )
            return

        username = username or "admin"
        password = secrets.token_urlsafe(18)
        user, _ = User.objects.get_or_create(username=username)
        user.is_superuser = user.is_staff = user.is_active = True
        user.set_password(password)
        user.save()
        set_user_role(user, ROLE_ADMIN)
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "=" * 64,
                    "Created an admin account (the password is shown only this once):",
                    f"  login URL: {login_url or '/login/'}",
                    f"  username:  {username}",
                    f"  password:  {password}",
                    "=" * 64,
                    "",
                ]
            )
        )

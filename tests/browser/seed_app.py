"""Seed the browser tests' app database: an admin, a developer and a key on the emulator.

Run as a script in the app's environment (same DATABASE_URL/VAR_DIR as the server under test):
    python tests/browser/seed_app.py SERVICE_ACCOUNT_JSON_FILE
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from gateway_admin.permissions import set_user_role  # noqa: E402
from gateway_admin.services.keys import key_create  # noqa: E402
from gateway_admin.services.listings import models_refresh  # noqa: E402

PASSWORD = "browser-test-password-1234"
SEED_KEY = "emulator-us"
SEED_DEPLOYMENTS = {
    "gemini-2.0-flash": "gemini-2.0-flash",
    "gemini-2.5-flash": "gemini-2.5-flash",
    "claude-sonnet-4-5": "claude-sonnet-4-5@20250929",
}


def main(sa_path: str) -> None:
    users = get_user_model()
    for name, role in (("alice", "admin"), ("dave", "developer")):
        user = users.objects.create_user(username=name, password=PASSWORD, email=f"{name}@example.com")
        set_user_role(user, role)
    admin = users.objects.get(username="alice")
    key, _ = key_create(actor=admin, name=SEED_KEY, config={
        "project_id": "demo-project", "region": "us-central1",
        "auth_credentials": Path(sa_path).read_text(), "deployments": SEED_DEPLOYMENTS,
    })
    models_refresh(key_id=key.pk)
    print(f"seeded key {key.pk}")


if __name__ == "__main__":
    main(sys.argv[1])

"""Seed a month of usage into the browser tests' app database (run in the app's environment)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from gateway_admin.models import VertexKey  # noqa: E402
from gateway_admin.services.budgets import budget_create  # noqa: E402
from gateway_admin.services.tokens import api_token_create  # noqa: E402
from gateway_admin.usage import Usage, call_cost  # noqa: E402
from gateway_admin.usage.spend import spend_record  # noqa: E402

MODELS = [("claude-sonnet-4-5@20250929", "global", 6000, 900), ("gemini-2.5-pro", "us-central1", 9000, 1500),
          ("gemini-2.0-flash-001", "us-central1", 20000, 3000), ("claude-3-5-haiku@20241022", "us-east5", 4000, 700),
          ("meta/llama-3.1-8b-instruct-maas", "us-central1", 3000, 500)]


def main() -> None:
    users = get_user_model().objects
    alice, dave = users.get(username="alice"), users.get(username="dave")
    key = VertexKey.objects.first()
    ci, _ = api_token_create(user=dave, name="ci-nightly")
    budget_create(actor=alice, user=dave.pk, amount_usd="0.25", period="month", soft_limit_percent=50)
    now = datetime.now(UTC)
    for d in range(30):
        at = now - timedelta(days=d)
        for i, (target, region, tin, tout) in enumerate(MODELS):
            for n in range(1 + (d * 3 + i) % 4):
                usage = Usage(input_tokens=tin + 500 * n, output_tokens=tout)
                user, token = (dave, ci.pk) if (i + n) % 2 else (alice, None)
                spend_record(token_id=token, user_id=user.pk, key_id=key.pk if key else None, model=target.split("@")[0],
                             target=target, region=region, usage=usage,
                             cost=call_cost(target=target, region=region, usage=usage), at=at, error=n == 3)


if __name__ == "__main__":
    main()

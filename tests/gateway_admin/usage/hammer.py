"""One OS process of the shared-budget test: `python hammer.py setup` creates a user with a budget;
`python hammer.py run CALLERS COST START_AT` runs CALLERS concurrent callers that check the budget,
stay "in flight" a few ms, and record COST each, until the budget refuses them; prints JSON."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")


def setup(amount: str) -> None:
    from django.contrib.auth import get_user_model

    from gateway_admin.services.budgets import budget_create

    user = get_user_model().objects.create_user("hammer")
    budget = budget_create(actor=None, user=user.pk, amount_usd=amount, period="day")
    print(json.dumps({"user_id": user.pk, "budget_id": budget.pk}))


async def run(user_id: int, callers: int, cost: Decimal, start_at: float) -> None:
    from gateway_admin.usage import BudgetExceeded, Cost, Usage, abudget_check, aspend_record

    admitted = refused = in_flight = max_in_flight = 0
    await abudget_check(token_id=None, user_id=user_id)  # warm: budgets loaded before the start
    await asyncio.sleep(max(0.0, start_at - time.time()))

    async def caller(i: int) -> None:
        nonlocal admitted, refused, in_flight, max_in_flight
        await asyncio.sleep(i * 0.002)  # callers arrive over 50 ms, not all at once
        while True:
            try:
                await abudget_check(token_id=None, user_id=user_id)
            except BudgetExceeded:
                refused += 1
                return
            admitted += 1
            in_flight += 1
            max_in_flight = max(max_in_flight, in_flight)
            await asyncio.sleep(0.005)  # the upstream call
            await aspend_record(token_id=None, user_id=user_id, key_id=None, model="m", target="m",
                                region="global", usage=Usage(input_tokens=1, output_tokens=1),
                                cost=Cost(usd=cost, price_version="test"), at=datetime.now(UTC))
            in_flight -= 1

    await asyncio.gather(*(caller(i) for i in range(callers)))
    print(json.dumps({"admitted": admitted, "refused": refused, "max_in_flight": max_in_flight}))


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "setup":
        setup(sys.argv[2])
    else:
        asyncio.run(run(int(sys.argv[2]), int(sys.argv[3]), Decimal(sys.argv[4]), float(sys.argv[5])))

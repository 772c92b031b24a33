"""Microseconds per budget and TPM check on the hot path, warm, in the embedded mode (local-memory
cache, database counters) and with Redis (REDIS_URL: django-redis cache, Redis counters).

    .venv/bin/python bench/budget_bench.py [--calls 20000] [--redis-url redis://127.0.0.1:6379/15]

Each mode runs in its own process on a fresh SQLite database with one user, two API tokens, a
budget on one token, one on the user and one on a team of the user. It prints µs per
`abudget_check` (no budget applies; three budgets apply), per `atpm_check`, and per
`aspend_record` (not on the hot path: after the answer; it commits the rollup and the counters),
alone and with 50 calls finishing at once (they share commits).
Target: at most 100 µs per check when warm. Nothing is asserted: it prints.

Measured on this 2-core machine shared with other work (load average 3.5 to 5): embedded mode
1-12 µs per abudget_check and 8-20 µs per atpm_check; Redis 0.7-2 µs with no budget, and one MGET
round trip with budgets (86-139 µs, when a bare PING took 28-104 µs; 9-13 µs with the 50 ms
counter mirror); aspend_record 2.6-3.3 ms alone on SQLite (the commit), 230-350 µs per call when 50
finish at once (they share commits).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def _measure(calls: int) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from asgiref.sync import sync_to_async
    from django.contrib.auth import get_user_model

    from gateway_admin.models import ApiToken
    from gateway_admin.services.budgets import budget_create
    from gateway_admin.services.teams import team_create
    from gateway_admin.usage import Cost, Usage, abudget_check, aspend_record, atpm_check
    from gateway_admin.usage.counters import counters

    def setup() -> tuple[int, int, int]:
        user = get_user_model().objects.create_user("bench")
        plain = ApiToken.objects.create(user=get_user_model().objects.create_user("other"), name="plain",
                                        prefix="vga_plain", token_hash="0" * 64)
        limited = ApiToken.objects.create(user=user, name="limited", prefix="vga_limit", token_hash="1" * 64)
        team = team_create(actor=None, name="bench-team", members=[user.pk])
        budget_create(actor=None, token=limited.pk, amount_usd="1000", period="day")
        budget_create(actor=None, user=user.pk, amount_usd="1000", period="month")
        budget_create(actor=None, team=team.pk, amount_usd="1000", period="week")
        return user.pk, plain.pk, limited.pk

    user_id, plain_id, limited_id = await sync_to_async(setup)()
    cost = Cost(Decimal("0.0001"), "bench")
    for _ in range(20):  # warm: snapshot, counter mirror, connections
        await abudget_check(token_id=limited_id, user_id=user_id)
        await aspend_record(token_id=limited_id, user_id=user_id, key_id=1, model="m", target="m", region="global",
                            usage=Usage(input_tokens=10, output_tokens=5), cost=cost, at=datetime.now(UTC))

    async def per_call(fn, n: int) -> float:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        for _ in range(n):
            await fn()
        return (time.perf_counter() - started) / n * 1e6

    print(f"  counters: {type(counters()).__name__}")
    backend = counters()
    if hasattr(backend, "client"):  # the floor: one bare round trip to the same Redis
        ping = backend.client.ping
        started = time.perf_counter()
        for _ in range(calls // 4):
            ping()
        print(f"  {'(a bare Redis PING, for reference)':<34}{(time.perf_counter() - started) / (calls // 4) * 1e6:>9.1f} µs")
    results = {
        "abudget_check, no budget applies": await per_call(lambda: abudget_check(token_id=plain_id, user_id=None),
                                                          calls),
        "abudget_check, 3 budgets apply": await per_call(lambda: abudget_check(token_id=limited_id, user_id=user_id),
                                                        calls),
        "atpm_check": await per_call(lambda: atpm_check(token_id=limited_id, tpm_limit=10**9), calls),
        "aspend_record (after the call)": await per_call(lambda: aspend_record(
            token_id=limited_id, user_id=user_id, key_id=1, model="m", target="m", region="global",
            usage=Usage(input_tokens=10, output_tokens=5), cost=cost, at=datetime.now(UTC)), max(calls // 20, 50)),
    }
    async def concurrent_spend(n: int = 50, rounds: int = 10) -> float:
        started = time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*(aspend_record(
                token_id=limited_id, user_id=user_id, key_id=1, model="m", target="m", region="global",
                usage=Usage(input_tokens=10, output_tokens=5), cost=cost, at=datetime.now(UTC)) for _ in range(n)))
        return (time.perf_counter() - started) / (n * rounds) * 1e6

    results["aspend_record, 50 at once (per call)"] = await concurrent_spend()
    for name, us in results.items():
        print(f"  {name:<34}{us:>9.1f} µs")


def _child(calls: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    asyncio.run(_measure(calls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.calls)
        return
    modes = ("embedded (locmem cache, database counters)", "redis (django-redis cache, Redis counters)",
             "redis with BUDGET_REDIS_REFRESH_SECONDS=0.05 (counter mirror)")
    for mode in modes:
        tmp = Path(tempfile.mkdtemp(prefix="budget-bench-"))
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_admin.settings", "VAR_DIR": str(tmp),
               "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}", "LOG_LEVEL": "WARNING",
               "CACHE_KEY_PREFIX": f"bench-{os.getpid()}"}
        env.pop("REDIS_URL", None)
        if mode.startswith("redis"):
            env["REDIS_URL"] = args.redis_url
        if "REFRESH" in mode:
            env["BUDGET_REDIS_REFRESH_SECONDS"] = "0.05"
        print(mode)
        subprocess.run([sys.executable, __file__, "--child", "--calls", str(args.calls)], env=env, check=True)


if __name__ == "__main__":
    main()

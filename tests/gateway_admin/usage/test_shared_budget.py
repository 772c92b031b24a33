"""Two OS processes, 25 concurrent callers each, one $0.05 budget: the counters add up exactly (no
lost update) and spend passes the limit by at most the calls that were in flight (check-then-add).
Once on Redis, once on the database (a SQLite file shared by both processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HAMMER = Path(__file__).with_name("hammer.py")
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
CALLERS = 25
COST = Decimal("0.002")
LIMIT = Decimal("0.05")

pytestmark = pytest.mark.slow


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_admin.settings", "VAR_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT), **extra}
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(extra)
    return env


def _hammer(env: dict[str, str]) -> tuple[list[dict[str, int]], int]:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, str(HAMMER), "setup", str(LIMIT)], env=env, check=True,
                         capture_output=True, text=True).stdout
    ids = json.loads(out.strip().splitlines()[-1])
    start_at = time.time() + 4.0  # both processes set up Django before the start
    procs = [subprocess.Popen([sys.executable, str(HAMMER), "run", str(ids["user_id"]), str(CALLERS), str(COST),
                               str(start_at)], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for p in procs:
        stdout, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    return results, ids["budget_id"]


def _check(results: list[dict[str, int]], counted: Decimal) -> None:
    admitted = sum(r["admitted"] for r in results)
    in_flight = sum(r["max_in_flight"] for r in results)
    spent = admitted * COST
    print(f"admitted={admitted} spent=${spent} limit=${LIMIT} max_in_flight={in_flight}")
    assert counted == spent, "every admitted call's cost is in the shared counter"
    assert spent >= LIMIT, "the callers stopped only once the budget was used up"
    assert all(r["refused"] == CALLERS for r in results), "every caller was refused in the end"
    assert spent - LIMIT <= in_flight * COST, (admitted, in_flight)
    assert in_flight <= 2 * CALLERS


def test_two_processes_share_one_budget_on_redis(tmp_path):
    if not _redis_up():
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    import redis

    prefix = f"test-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, BUDGET_REDIS_URL=REDIS_URL, BUDGET_COUNTERS="redis", CACHE_KEY_PREFIX=prefix)
    results, budget_id = _hammer(env)
    client = redis.Redis.from_url(REDIS_URL)
    names = list(client.scan_iter(f"{prefix}:budget:{budget_id}:*"))
    assert len(names) == 1
    counted = Decimal(int(client.get(names[0]))) / Decimal(1_000_000_000)
    client.delete(*names)
    _check(results, counted)


def test_two_processes_share_one_budget_on_the_database(tmp_path):
    env = _env(tmp_path, BUDGET_COUNTERS="database", BUDGET_DB_REFRESH_SECONDS="0")
    results, budget_id = _hammer(env)
    import sqlite3

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        (nanos,) = db.execute("SELECT spent_nanos FROM gateway_admin_budgetcounter WHERE budget_id = ?",
                              (budget_id,)).fetchone()
    _check(results, Decimal(nanos) / Decimal(1_000_000_000))

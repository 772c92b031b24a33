"""Model listing benchmark: the seed 003 merge, and the models API over many keys.

    .venv/bin/python bench/listing_bench.py            # SQLite test database in memory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_listing .venv/bin/python bench/listing_bench.py

Prints:
1. merging 10,000 custom models + 1,000 configured entries (500 deployments, 250 of them aliases
   of custom endpoints, + 500 allowedModels), target <= 50 ms;
2. GET /api/v1/models/ and the /v1/models selector with 50 keys x 100 models: latency and SQL
   queries per request (a throwaway test database is created and destroyed).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


_cpu: list[float] = []


def timings(fn: Callable[[], object], *, runs: int, warmup: int = 3) -> list[float]:
    """Wall-clock ms per call; the CPU ms of this process are kept for `report` (on a shared
    machine the wall clock also counts the time other processes held the cores)."""
    for _ in range(warmup):
        fn()
    out = []
    _cpu.clear()
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - started) * 1000)
        _cpu.append((time.process_time() - cpu) * 1000)
    return out


def report(label: str, ms: list[float], extra: str = "") -> None:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"{label:<58} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   min {ms[0]:7.2f} ms"
          f"   cpu median {statistics.median(_cpu):7.2f} ms{extra}")


def bench_merge() -> None:
    from routing.listing import merge_models

    custom = [
        {
            "name": f"projects/p/locations/us-central1/models/{7_000_000 + i}",
            "displayName": f"tuned-{i}",
            "description": "fine-tuned",
            "createTime": "2026-01-12T09:30:00.123456789Z",
            "deployedModels": [{"endpoint": f"projects/p/locations/us-central1/endpoints/{10**9 + i}"}],
        }
        for i in range(10_000)
    ]
    # 1,000 configured entries: 250 aliases of custom endpoints, 750 foundation deployments.
    deployments = {f"alias-{i}": str(10**9 + i * 7) for i in range(250)}
    deployments |= {f"gemini-foundation-{i}": f"gemini-2.0-flash-{i}" for i in range(750)}
    entries = merge_models(custom, deployments, [])
    print(f"merge: {len(custom)} custom + {len(deployments)} deployments -> {len(entries)} entries")
    report("merge 10,000 custom + 1,000 configured (all kept)",
           timings(lambda: merge_models(custom, deployments, []), runs=30), "   target <= 50 ms")
    half = dict(list(deployments.items())[:500])
    allowed = [f"extra-model-{i}" for i in range(500)]
    report("merge 10,000 custom + 500 deployments + 500 allowedModels",
           timings(lambda: merge_models(custom, half, allowed), runs=30))
    restrict = [f"alias-{i}" for i in range(0, 250, 2)] + [str(10**9 + i) for i in range(1, 10_000, 10)]
    report("merge with allowedModels restricting to 1,125 ids",
           timings(lambda: merge_models(custom, deployments, restrict), runs=30))


def bench_api() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.utils import timezone

    from gateway_admin.models import KeyHealth, ModelListing, VertexKey
    from gateway_admin.permissions import ROLE_DEVELOPER, set_user_role
    from gateway_admin.selectors.models import models_for_v1

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        now = timezone.now()
        keys = VertexKey.objects.bulk_create(
            VertexKey(name=f"key-{i:02d}", project_id="demo-project", region="us-central1") for i in range(50)
        )
        ModelListing.objects.bulk_create(
            ModelListing(key=key, fetched_at=now, entries=[
                {"id": f"model-{k % 7}-{j}", "display_name": f"Model {j}", "source": "deployment",
                 "target": f"model-{j}", "endpoint_id": "", "description": "", "created": None}
                for j in range(100)
            ])
            for k, key in enumerate(keys)
        )
        KeyHealth.objects.bulk_create(
            KeyHealth(key=key, checked_at=now, token_ok=True, list_status=200, list_latency_ms=4.2) for key in keys
        )
        user = get_user_model().objects.create_user("bench", password="x" * 20)
        set_user_role(user, ROLE_DEVELOPER)
        client = Client()
        client.force_login(user)

        def get_all() -> None:
            response = client.get("/api/v1/models/")
            assert response.status_code == 200, response.status_code

        queries: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        # An execute wrapper, not CaptureQueriesContext: Django resets the query log per request.
        with connection.execute_wrapper(count):
            get_all()
        body = client.get("/api/v1/models/").json()
        print(f"\nAPI: 50 keys x 100 models = {sum(k['count'] for k in body['keys'])} entries, "
              f"{len(body['models'])} merged ids, {len(queries)} SQL queries per request "
              f"(session + user + role + listings; {connection.vendor})")
        report("GET /api/v1/models/ (50 keys x 100 models)", timings(get_all, runs=40))
        report("GET /api/v1/keys/{id}/models/ (100 models)",
               timings(lambda: client.get(f"/api/v1/keys/{keys[0].pk}/models/"), runs=40))
        with CaptureQueriesContext(connection) as ctx:
            merged = models_for_v1()
        report(f"selectors.models_for_v1() -> {len(merged)} ids, {len(ctx.captured_queries)} query",
               timings(models_for_v1, runs=40))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    bench_merge()
    bench_api()

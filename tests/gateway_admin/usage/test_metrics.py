"""/metrics: two processes' counts add up in one scrape; budget gauges; token or network protection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]

OBSERVER = textwrap.dedent("""
    import os, sys
    from decimal import Decimal
    from types import SimpleNamespace
    sys.path.insert(0, os.environ["ROOT"])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")
    import django
    django.setup()
    from gateway_admin.metrics import metrics_observe
    for i in range(int(sys.argv[1])):
        metrics_observe(SimpleNamespace(
            surface="openai", source="api", model="gemini-2.0-flash", target="gemini-2.0-flash-001", key_id=1,
            key_name="prod", region="us-central1", status=200 if i % 5 else 429, error_type="" if i % 5 else "rate_limited",
            latency_ms=120.0, ttft_ms=40.0, input_tokens=10, output_tokens=3, cache_read_tokens=None,
            cache_write_tokens=None, cost_usd=Decimal("0.001"), failovers=1 if i % 5 == 0 else 0,
            route=[{"status": 429, "key_name": "prod", "region": "us-central1"}] if i % 5 == 0 else []))
""")


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples_: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in samples_.items() if n == name and set(labels.items()) <= set(ls))


def test_two_processes_counts_add_up_in_one_scrape(tmp_path):
    from gateway_admin.metrics import render_metrics

    env = {**os.environ, "ROOT": str(ROOT), "VAR_DIR": str(tmp_path), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "LOG_LEVEL": "WARNING"}
    (tmp_path / "prom").mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", OBSERVER, str(n)], env=env) for n in (10, 15)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    s = samples(render_metrics(path=str(tmp_path / "prom"), budgets=False).decode())
    assert value(s, "vga_requests_total", model="gemini-2.0-flash-001", status="200") == 20  # 8 + 12
    assert value(s, "vga_requests_total", status="429") == 5
    assert value(s, "vga_request_errors_total", error_type="rate_limited") == 5
    assert value(s, "vga_tokens_total", kind="input") == 250
    assert value(s, "vga_cost_usd_total") == pytest.approx(0.025)
    assert value(s, "vga_request_latency_seconds_count", surface="openai") == 25
    assert value(s, "vga_time_to_first_token_seconds_count") == 25
    assert value(s, "vga_failovers_total") == 5
    assert value(s, "vga_upstream_429_total", key="prod", region="us-central1") == 5


def test_an_unresolved_model_does_not_become_a_label():
    from gateway_admin.metrics import _model_label

    assert _model_label(SimpleNamespace(model="typo-123", target="", key_id=None)) == "(unresolved)"


@pytest.mark.django_db
def test_the_scrape_needs_the_token_and_shows_budget_gauges(admin_user):
    from datetime import UTC, datetime

    from gateway_admin.services.budgets import budget_create
    from gateway_admin.usage import Cost, Usage
    from gateway_admin.usage.budgets import budgets_invalidate
    from gateway_admin.usage.counters import counters_reset
    from gateway_admin.usage.spend import spend_record

    counters_reset()
    budgets_invalidate()
    budget = budget_create(actor=admin_user, user=admin_user.pk, amount_usd="2", period="month")
    spend_record(token_id=None, user_id=admin_user.pk, key_id=None, model="m", target="m", region="global",
                 usage=Usage(input_tokens=1), cost=Cost(Decimal("0.5"), "t"), at=datetime.now(UTC))
    client = Client()
    with override_settings(METRICS_TOKEN="s3cret", METRICS_ALLOWED_NETWORKS=[]):
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
        r = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/plain")
    s = samples(r.content.decode())
    assert value(s, "vga_budget_used_usd", budget=str(budget.pk)) == 0.5
    assert value(s, "vga_budget_remaining_usd", budget=str(budget.pk)) == 1.5
    assert value(s, "vga_budget_limit_usd", budget=str(budget.pk), scope="user") == 2.0
    counters_reset()


@pytest.mark.django_db
def test_the_scrape_is_allowed_from_listed_networks_only():
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="192.168.1.9").get("/metrics").status_code == 403
    with override_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[]):
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="192.168.1.9").get("/metrics").status_code == 403
        # Through a reverse proxy on the same machine every scraper looks local: not enough.
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403


def test_token_mints_reach_the_metrics_through_routings_observer_hook(tmp_path):
    """routing calls a plain callback; the app registered one that counts mints in /metrics."""
    from gateway_admin.metrics import render_metrics
    from routing.observers import TOKEN_MINT_OBSERVERS, notify_token_mint

    assert len(TOKEN_MINT_OBSERVERS) == 1
    before = value(samples(render_metrics(budgets=False).decode()), "vga_token_mints_total", key="mint-test-key")
    notify_token_mint("mint-test-key", True)
    notify_token_mint("mint-test-key", False)
    after = samples(render_metrics(budgets=False).decode())
    assert value(after, "vga_token_mints_total", key="mint-test-key", outcome="ok") >= 1
    assert value(after, "vga_token_mints_total", key="mint-test-key") - before == 2

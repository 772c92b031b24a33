"""Schemathesis against a live server: /api/v1 (drf-spectacular's /api/schema/) and /v1 (/v1/openapi.json).

Generated requests go over real HTTP to uvicorn running the product, which talks to the emulator.
Every answer must be documented (status and content type), match its response schema, and never be
a 5xx. Bounded: a few examples per operation and a time budget for the whole run. A second test runs
schemathesis' own runner with every check (negative data refused, schema-valid data accepted, auth
enforced, methods...), configured in schemathesis.toml next to this file.
"""

from __future__ import annotations

import collections
import itertools
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_flush

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 12
BUDGET_SECONDS = 150.0
# Model ids that exist on the emulator keys, so that generated bodies also reach Vertex's side.
KNOWN_MODELS = ["gemini-2.0-flash", "claude-sonnet-4-5", "text-embedding-005", "imagen-3", "veo-2"]


def run_operations(operations: list[Any], *, headers: dict[str, str], deadline: float,
                   prepare: Any = None, statuses: collections.Counter | None = None) -> int:
    checked = 0
    for operation in operations:
        if time.monotonic() > deadline:
            break

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            if prepare is not None:
                prepare(case)
            response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
            if statuses is not None:
                statuses[response.status_code] += 1

        check()
        checked += 1
    return checked


# Hypothesis reseeds `random` for every example, so take turns with a counter instead.
_turns = itertools.count()


def _known_model_sometimes(case: Any) -> None:
    """Most generated bodies name a real model, so the answer comes from routing, not a 404."""
    turn = next(_turns)
    if isinstance(case.body, dict) and "model" in case.body and turn % 4:
        case.body["model"] = KNOWN_MODELS[turn % len(KNOWN_MODELS)]


@pytest.fixture
def schema_env(live_v1, demo_key, media_key, settings):
    settings.VIDEO_POLL_INTERVAL_SECONDS = 600  # no background polls outliving the test
    return live_v1


def test_v1_answers_match_its_openapi_document(schema_env, admin_user, api_token_factory):
    live = schema_env
    schema = schemathesis.openapi.from_url(live.v1 + "/openapi.json")
    schema.config.update(base_url=live.url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "POST /v1/chat/completions", "POST /v1/responses", "POST /v1/embeddings", "GET /v1/models",
        "POST /v1/images/generations", "POST /v1/images/edits", "POST /v1/videos", "GET /v1/videos/{video_id}",
    }
    headers = {"Authorization": f"Bearer {api_token_factory(admin_user)}"}
    statuses: collections.Counter = collections.Counter()
    checked = run_operations(operations, headers=headers, deadline=time.monotonic() + BUDGET_SECONDS / 2,
                             prepare=_known_model_sometimes, statuses=statuses)
    assert checked >= len(operations) // 2
    # Generated calls got real answers from routing too, not only 400/404s.
    assert statuses[200] > 0, statuses
    assert request_log_flush(10)
    assert RequestLog.objects.count() >= sum(statuses.values()) // 2


def test_api_v1_answers_match_its_openapi_document(schema_env, admin_user, api_token_factory):
    live = schema_env
    schema = schemathesis.openapi.from_url(live.url + "/api/schema/?format=json")
    schema.config.update(base_url=live.url)
    # Deleting keys or tokens mid-run would only make the later operations answer 404s.
    operations = [result.ok() for result in schema.include(path_regex=r"^/api/v1/").get_all_operations()
                  if result.ok().method.upper() != "DELETE"]
    assert operations
    headers = {"Authorization": f"Bearer {api_token_factory(admin_user)}"}
    checked = run_operations(operations, headers=headers, deadline=time.monotonic() + BUDGET_SECONDS / 2)
    assert checked >= min(len(operations), 10)


# -- every check, through schemathesis' own runner -------------------------------------------------

CONFIG = Path(__file__).with_name("schemathesis.toml")
CLI_EXAMPLES = 8
CLI_SECONDS_PER_SCHEMA = 120


def _run_schemathesis(live: Any, schema_url: str, token: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`schemathesis run` with every check (--checks all), the examples, coverage and fuzzing
    phases (positive and negative data), bounded by examples per operation and a time budget.
    DELETE is left out: deleting the keys and tokens mid-run would only turn the rest into 404s."""
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", schema_url,
            "--url", live.url, "--checks", "all", "--phases", "examples,coverage,fuzzing",
            "--max-examples", str(CLI_EXAMPLES), "--max-time", str(CLI_SECONDS_PER_SCHEMA), "--seed", "1",
            "--exclude-method", "DELETE", "--continue-on-failure", "--no-shrink", "--request-timeout", "30",
            "--header", f"Authorization: Bearer {token}", "--report-dir", str(tmp_path)]
    # In tmp_path: schemathesis keeps a cache directory where it runs.
    return subprocess.run(args, capture_output=True, text=True, timeout=CLI_SECONDS_PER_SCHEMA * 3, cwd=tmp_path)


@pytest.mark.parametrize("schema_path", ["/api/schema/?format=json", "/v1/openapi.json"])
def test_every_schemathesis_check_passes(schema_env, admin_user, api_token_factory, tmp_path, schema_path):
    live = schema_env
    result = _run_schemathesis(live, live.url + schema_path, api_token_factory(admin_user), tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "Tested:" in output  # it really ran operations

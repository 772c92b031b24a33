"""Claude Code itself, headless (`claude -p ... --output-format json`), through the gateway to the emulator.

Both of its gateway modes: Anthropic (ANTHROPIC_BASE_URL + ANTHROPIC_AUTH_TOKEN: `HEAD /`, then
POST /v1/messages?beta=true) and Vertex (CLAUDE_CODE_USE_VERTEX=1 + ANTHROPIC_VERTEX_BASE_URL at
/vertex/v1, no Google auth of its own, the gateway token in ANTHROPIC_CUSTOM_HEADERS). Each run's
answer is the emulator's answer to what the gateway sent, and the request log holds the run's row.

Claude Code is installed by `.ci/run` (`npm ci` in tests/clients/). Its postinstall, which copies
the native binary over the `claude` placeholder, may be blocked by npm's install-script policy;
the platform package (@anthropic-ai/claude-code-linux-x64, ...) ships the same binary, so that one
is run. The tests skip only when neither node nor a Claude Code binary is there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_flush
from tests.fixtures.native_clients import emulator_access_token

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
MODULES = CLIENTS / "node_modules" / "@anthropic-ai"
PROMPT = "Reply with one short sentence about the sea."


def _works(path: Path) -> bool:
    try:
        done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ.get("PATH", ""), "HOME": "/tmp", "DISABLE_AUTOUPDATER": "1"})
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "Claude Code" in done.stdout


def claude_binary() -> Path | None:
    candidates = [*sorted(MODULES.glob("claude-code-*/claude")), CLIENTS / "node_modules" / ".bin" / "claude"]
    found = shutil.which("claude")
    if found:
        candidates.append(Path(found))
    return next((c for c in candidates if c.exists() and _works(c)), None)


@pytest.fixture(scope="module")
def claude() -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: Claude Code needs it (.ci/run installs it with npm)")
    binary = claude_binary()
    if binary is None:
        pytest.skip("Claude Code is not installed: run `npm ci` in tests/clients/ (.ci/run does)")
    return binary


def run_claude(claude: Path, tmp_path: Path, env: dict[str, str], prompt: str = PROMPT) -> dict:
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "TERM": "dumb",
        "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_ERROR_REPORTING": "1", "DISABLE_BUG_COMMAND": "1", **env,
    }
    done = subprocess.run([str(claude), "-p", prompt, "--output-format", "json"], cwd=work, env=full_env,
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout)


def emulator_answer(vertex, record: dict) -> str:
    """What the emulator answers to the body the gateway sent, asked directly (not streamed)."""
    path = record["path"].replace(":streamRawPredict", ":rawPredict")
    body = {k: v for k, v in record["body"].items() if k != "stream"}
    headers = {"Authorization": f"Bearer {emulator_access_token(vertex)}"}
    if "anthropic-beta" in record["headers"]:
        headers["anthropic-beta"] = record["headers"]["anthropic-beta"]
    answer = httpx.post(vertex.base_url + path, json=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return "".join(b.get("text", "") for b in answer.json()["content"] if b["type"] == "text")


def logged_rows(**filters) -> list[RequestLog]:
    assert request_log_flush(10)
    return list(RequestLog.objects.filter(**filters).order_by("created_at"))


def messages_records(vertex) -> list[dict]:
    return [r for r in vertex.requests(path_contains="/publishers/anthropic/models/") if "Predict" in r["path"]]


@pytest.fixture
def token(live_v1, demo_key, developer_user, api_token_factory):
    return api_token_factory(developer_user, name="claude-code")


def test_claude_code_in_anthropic_mode(claude, live_v1, token, vertex, tmp_path, logged_entries):
    out = run_claude(claude, tmp_path, {
        "ANTHROPIC_BASE_URL": live_v1.url, "ANTHROPIC_AUTH_TOKEN": token,
        "ANTHROPIC_MODEL": "claude-sonnet-4-5-20250929", "ANTHROPIC_SMALL_FAST_MODEL": "claude-3-5-haiku-20241022",
    })
    assert out["is_error"] is False and out["subtype"] == "success"
    records = messages_records(vertex)
    main = next(r for r in records if "claude-sonnet-4-5@20250929" in r["path"])
    assert "model" not in main["body"] and main["body"]["anthropic_version"] == "vertex-2023-10-16"
    assert out["result"].strip() and out["result"] == emulator_answer(vertex, main)
    # Claude Code's betas: the ones Vertex accepts go through, the others are dropped and logged.
    sent_betas = set(main["headers"].get("anthropic-beta", "").split(","))
    assert "claude-code-20250219" in sent_betas
    entries = [e for e in logged_entries if e.operation == "messages"]
    assert entries and all(e.surface == "anthropic" and e.status == 200 for e in entries)
    entry = next(e for e in entries if e.target == "claude-sonnet-4-5@20250929")
    assert entry.model == "claude-sonnet-4-5" and entry.token_id is not None and entry.region == "us-central1"
    assert entry.stream and entry.ttft_ms is not None and entry.output_tokens > 0
    assert not sent_betas & set(entry.betas_dropped)
    (row, *_) = logged_rows(operation="messages", target="claude-sonnet-4-5@20250929")
    assert row.status == 200 and row.stream and row.token.name == "claude-code" and row.output_tokens > 0
    assert row.surface == "anthropic" and row.betas_dropped == entry.betas_dropped


def vertex_env(live_v1, token, region: str, model: str) -> dict[str, str]:
    return {
        "CLAUDE_CODE_USE_VERTEX": "1", "CLAUDE_CODE_SKIP_VERTEX_AUTH": "1",
        "ANTHROPIC_VERTEX_BASE_URL": live_v1.url + "/vertex/v1",
        "ANTHROPIC_CUSTOM_HEADERS": f"Authorization: Bearer {token}",
        "ANTHROPIC_VERTEX_PROJECT_ID": "the-clients-own-project", "CLOUD_ML_REGION": region,
        "ANTHROPIC_MODEL": model, "ANTHROPIC_SMALL_FAST_MODEL": model,
    }


def test_claude_code_in_vertex_mode(claude, live_v1, token, vertex, tmp_path, logged_entries):
    out = run_claude(claude, tmp_path, vertex_env(live_v1, token, "us-central1", "claude-sonnet-4-5@20250929"))
    assert out["is_error"] is False
    (record, *_) = messages_records(vertex)
    # The gateway's own project and region, whatever the client's URL said.
    assert f"/projects/{vertex.project_id}/locations/us-central1/" in record["path"]
    assert record["path"].endswith("claude-sonnet-4-5@20250929:streamRawPredict")
    assert out["result"].strip() and out["result"] == emulator_answer(vertex, record)
    entry = next(e for e in logged_entries if e.surface == "vertex")
    assert entry.operation == "streamRawPredict" and entry.status == 200 and entry.model == "claude-sonnet-4-5"
    assert entry.key_name == "demo" and entry.attempts == 1 and entry.output_tokens > 0
    # Claude Code's betas went through the table: the accepted ones reached Vertex, none it refuses did
    # (the emulator answers a refused beta with Vertex's 400, and this run succeeded).
    forwarded = set(record["headers"].get("anthropic-beta", "").split(","))
    assert "claude-code-20250219" in forwarded and not forwarded & set(entry.betas_dropped)
    (row, *_) = logged_rows(operation="streamRawPredict")
    assert row.status == 200 and row.region == "us-central1" and row.ttft_ms is not None
    assert row.surface == "vertex" and row.model == "claude-sonnet-4-5"


def test_claude_code_on_the_global_endpoint_needs_no_regional_override(claude, live_v1, vertex, tmp_path,
                                                                       admin_user, developer_user,
                                                                       api_token_factory, logged_entries):
    """CLOUD_ML_REGION=global with Claude Opus 4.1, which Vertex does not serve on global (seed 004):
    the gateway's region catalog sends it to a region that serves it; no VERTEX_REGION_* variable."""
    from gateway_admin.services.keys import key_create

    key_create(actor=admin_user, name="global", config={
        "project_id": vertex.project_id, "region": "global", "auth_credentials": vertex.service_account_json,
        "deployments": {"claude-opus-4-1": "claude-opus-4-1@20250805"}})
    token = api_token_factory(developer_user, name="claude-code-global")
    env = vertex_env(live_v1, token, "global", "claude-opus-4-1@20250805")
    assert not any(name.startswith("VERTEX_REGION_") for name in env)
    out = run_claude(claude, tmp_path, env)
    assert out["is_error"] is False
    records = messages_records(vertex)
    assert records and all("/locations/global/" not in r["path"] for r in records)
    assert "/locations/europe-west1/publishers/anthropic/models/claude-opus-4-1@20250805:" in records[0]["path"]
    assert out["result"] == emulator_answer(vertex, records[0])
    entry = next(e for e in logged_entries if e.surface == "vertex")
    assert entry.region == "europe-west1" and entry.key_name == "global" and entry.status == 200

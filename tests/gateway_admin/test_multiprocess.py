"""Several web processes share one state: two uvicorn processes on one database and one Redis, the
calls alternating between them. The RPM limit is counted once for both, a revoked token is refused
by both within GATEWAY_TOKEN_CACHE_SECONDS, and a key configuration change reaches both within
GATEWAY_CONFIG_CACHE_SECONDS (both set to 1 s here). Skipped when Redis is not reachable.

The processes are real (`python -m uvicorn gateway_admin.asgi:application`, as bin/serve runs
them) on a fresh SQLite file; a third process (`manage.py shell`, kept open) makes the changes
through the services, as the dashboard or the config API would in yet another process.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("MULTIPROCESS_REDIS_URL", "redis://127.0.0.1:6379/3")
CACHE_SECONDS = 1.0
# A change must show within the cache time; the slack covers a refresh in flight and a busy machine.
SLACK = 2.5
MODEL = "gemini-2.0-flash"

pytestmark = pytest.mark.timeout(120)


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The controller: one long-lived Django process that reads a JSON command per line and answers one.
CONTROLLER = textwrap.dedent("""
    import json, sys
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model
    from gateway_admin.models import ApiToken, VertexKey
    from gateway_admin.services.keys import key_create, key_update
    from gateway_admin.services.tokens import api_token_create, api_token_revoke
    admin = get_user_model().objects.create_superuser("mp-admin", "mp@example.com", "mp-password-123")
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["do"] == "key":
            key, _ = key_create(actor=admin, name="mp", config=cmd["config"])
            out = {"key_id": key.pk}
        elif cmd["do"] == "token":
            token, raw = api_token_create(user=admin, name=cmd["name"], rpm_limit=cmd.get("rpm_limit"))
            out = {"token_id": token.pk, "raw": raw}
        elif cmd["do"] == "revoke":
            api_token_revoke(actor=admin, token=ApiToken.objects.get(pk=cmd["token_id"]))
            out = {}
        elif cmd["do"] == "budget":
            from gateway_admin.services.budgets import budget_create
            budget_create(actor=admin, token=cmd["token_id"], amount_usd=cmd["amount_usd"], period="day")
            out = {}
        elif cmd["do"] == "spent":
            from django.db.models import Sum
            from gateway_admin.models import UsageRollup
            sums = UsageRollup.objects.filter(token_id=cmd["token_id"]).aggregate(
                calls=Sum("calls"), nanos=Sum("cost_nanos"))
            out = {"calls": sums["calls"] or 0, "nanos": sums["nanos"] or 0}
        elif cmd["do"] == "deployments":
            key_update(actor=admin, key=VertexKey.objects.get(pk=cmd["key_id"]),
                       config={"deployments": cmd["deployments"]}, partial=True)
            out = {}
        print(json.dumps(out), flush=True)
""")


class Cluster:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.controller = subprocess.Popen([sys.executable, "-c", CONTROLLER], cwd=ROOT, env=env, text=True,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.ask_raw() == {"ready": True}
        self.webs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def ask_raw(self) -> Any:
        assert self.controller.stdout is not None
        line = self.controller.stdout.readline()
        if not line:
            raise RuntimeError(f"the controller exited ({self.controller.wait()})")
        return json.loads(line)

    def ask(self, **command: Any) -> Any:
        assert self.controller.stdin is not None
        self.controller.stdin.write(json.dumps(command) + "\n")
        self.controller.stdin.flush()
        return self.ask_raw()

    def start_web(self, count: int) -> None:
        for _ in range(count):
            port = _free_port()
            self.webs.append(subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "gateway_admin.asgi:application", "--host", "127.0.0.1",
                 "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                 "--log-level", "warning"], cwd=ROOT, env=self.env))
            self.urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url, web in zip(self.urls, self.webs, strict=True):
            while True:
                assert web.poll() is None, f"the web process for {url} exited"
                try:
                    httpx.get(url + "/v1/models", timeout=2)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, f"{url} did not start"
                    time.sleep(0.1)

    def close(self) -> None:
        for process in [*self.webs, self.controller]:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture
def cluster(emulator: Any, tmp_path: Path) -> Iterator[Cluster]:
    _redis_or_skip()
    from cryptography.fernet import Fernet

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gateway_admin.settings", "PYTHONUNBUFFERED": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path}/mp.sqlite3", "VAR_DIR": str(tmp_path),
           "REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": "vga-mp-" + secrets.token_hex(4),
           "CELERY_BROKER_URL": "", "VERTEX_BASE_URL": emulator.base_url,
           "ALLOWED_TOKEN_URIS": emulator.token_uri, "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
           "SECRET_KEY": secrets.token_urlsafe(40), "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1",
           "LOG_LEVEL": "WARNING", "GATEWAY_TOKEN_CACHE_SECONDS": str(CACHE_SECONDS),
           "GATEWAY_CONFIG_CACHE_SECONDS": str(CACHE_SECONDS)}
    cluster = Cluster(env)
    try:
        yield cluster
    finally:
        cluster.close()


def _chat(url: str, raw: str, model: str = MODEL) -> httpx.Response:
    return httpx.post(url + "/v1/chat/completions", headers={"Authorization": f"Bearer {raw}"}, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8})


def _models(url: str, raw: str) -> set[str]:
    response = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {raw}"}, timeout=30)
    assert response.status_code == 200, response.text
    return {m["id"] for m in response.json()["data"]}


def _until(condition: Any, within: float) -> float:
    """Seconds until `condition()` holds (polled every 50 ms); fails after `within` seconds."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"not within {within} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_two_processes_share_limits_revocations_and_configuration(cluster: Cluster, emulator: Any) -> None:
    key = cluster.ask(do="key", config={"project_id": emulator.project_id, "region": "us-central1",
                                        "auth_credentials": emulator.service_account_json,
                                        "deployments": {MODEL: MODEL}})
    limited = cluster.ask(do="token", name="limited", rpm_limit=4)
    plain = cluster.ask(do="token", name="plain")
    cluster.start_web(2)
    a, b = cluster.urls

    # The RPM limit is one budget for both processes: 4 calls alternating A, B, A, B pass, and then
    # each process refuses (per-process counting would allow 4 in each).
    statuses = [_chat(url, limited["raw"]).status_code for url in (a, b, a, b, a, b)]
    assert statuses == [200, 200, 200, 200, 429, 429]

    # A revoked token: both processes have it cached, and both refuse it within the cache time.
    assert [_chat(url, plain["raw"]).status_code for url in (a, b)] == [200, 200]
    cluster.ask(do="revoke", token_id=plain["token_id"])
    for url in (a, b):
        _until(lambda url=url: _chat(url, plain["raw"]).status_code == 401, within=CACHE_SECONDS + SLACK)

    # A key configuration change (a new deployment alias) made in a third process reaches both.
    checker = cluster.ask(do="token", name="checker")["raw"]
    assert "mp-alias" not in _models(a, checker) | _models(b, checker)
    cluster.ask(do="deployments", key_id=key["key_id"], deployments={MODEL: MODEL, "mp-alias": MODEL})
    seen = [_until(lambda url=url: "mp-alias" in _models(url, checker), within=CACHE_SECONDS + SLACK)
            for url in (a, b)]
    assert max(seen) <= CACHE_SECONDS + SLACK
    # ...and the new alias answers on both.
    assert [_chat(url, checker, "mp-alias").status_code for url in (a, b)] == [200, 200]


def test_fifty_callers_on_two_processes_overshoot_a_budget_by_no_more_than_the_calls_in_flight(
        cluster: Cluster, emulator: Any) -> None:
    cluster.ask(do="key", config={"project_id": emulator.project_id, "region": "us-central1",
                                  "auth_credentials": emulator.service_account_json, "deployments": {MODEL: MODEL}})
    token = cluster.ask(do="token", name="budgeted")
    # A few dozen calls' worth: the limit is reached while 50 callers are in flight.
    cluster.ask(do="budget", token_id=token["token_id"], amount_usd="0.0002")
    cluster.start_web(2)
    emulator.clear_requests()
    callers = 50

    def call(i: int) -> int:
        return _chat(cluster.urls[i % 2], token["raw"]).status_code

    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=callers) as pool:
        for _ in range(6):  # rounds of 50 concurrent calls, until the budget refuses every call
            statuses += list(pool.map(call, range(callers)))
            if statuses[-callers:].count(429) == callers:
                break
    answered = statuses.count(200)
    assert answered and set(statuses) == {200, 429}
    assert statuses[-callers:].count(429) == callers  # once spent, both processes refuse every call
    spent = cluster.ask(do="spent", token_id=token["token_id"])
    assert spent["calls"] == answered  # the spend of every answered call was recorded
    budget_nanos = 200_000  # $0.0002
    per_call = spent["nanos"] / spent["calls"]
    assert spent["nanos"] >= budget_nanos
    # Over the limit by at most the calls already admitted when it was reached: one per caller.
    assert spent["nanos"] - budget_nanos <= callers * per_call
    # A refused call sent nothing to Vertex.
    assert len(emulator.requests(":generateContent")) == answered

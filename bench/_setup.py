"""Shared setup for the gateway benchmarks: a fresh database with a key and an API token, a service
account, free ports, process helpers. Used by gateway_bench.py (the emulator upstream) and
upstream_bench.py (the nginx upstream); run those scripts, not this module."""

from __future__ import annotations

import json
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PROJECT = "demo-project"
REGION = "us-central1"
MODEL = "gemini-2.0-flash"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_account(token_uri: str) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": PROJECT, "private_key_id": secrets.token_hex(20),
            "private_key": pem, "client_email": f"bench@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}


def product_env(tmp: str, *, database_url: str, vertex_base_url: str, token_uri: str,
                **extra: str) -> dict[str, str]:
    """The environment of a benchmarked product process (fresh secrets, quiet logs, no Redis unless
    `extra` sets REDIS_URL)."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "gateway_admin.settings",
            "VAR_DIR": tmp, "DATABASE_URL": database_url, "VERTEX_BASE_URL": vertex_base_url,
            "ALLOWED_TOKEN_URIS": token_uri, "CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "SECRET_KEY": secrets.token_urlsafe(40), "LOG_LEVEL": "WARNING", "REDIS_URL": "",
            "CELERY_BROKER_URL": "", "DEBUG": "false", **extra}


def wait_for_line(process: subprocess.Popen[str], prefix: str, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith(prefix):
                return line[len(prefix):].strip()
            if not line and process.poll() is not None:
                break
    raise RuntimeError(f"{process.args!r} did not print {prefix!r}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fresh_postgres(database_url: str) -> None:
    """Drop and re-create the benchmark's PostgreSQL database (its name must start with h_ or bench)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.startswith(("h_", "bench")):
        raise SystemExit(f"refusing to drop database {name!r}: use a name starting with h_ or bench")
    admin_url = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_product(env: dict[str, str], sa_path: Path, *, deployments: dict[str, str] | None = None,
                  rpm_limit: int | None = None, model_scopes: list[str] | None = None) -> str:
    """Migrate a fresh database and create the demo key and an API token; returns the raw token.
    `rpm_limit` and `model_scopes` make every call pass the rate limiter and the scope check."""
    if env["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        fresh_postgres(env["DATABASE_URL"])
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    script = f"""
from pathlib import Path
from django.contrib.auth import get_user_model
from gateway_admin.services.keys import key_create
from gateway_admin.services.tokens import api_token_create
user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-password-123")
key_create(actor=user, name="demo", config={{"project_id": "{PROJECT}", "region": "{REGION}",
    "auth_credentials": Path({str(sa_path)!r}).read_text(), "deployments": {json.dumps(deployments or {MODEL: MODEL})}}})
_, raw = api_token_create(user=user, name="bench", rpm_limit={rpm_limit!r}, model_scopes={model_scopes or []!r})
print("TOKEN=" + raw)
"""
    out = subprocess.run([PYTHON, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return next(line[6:] for line in out.splitlines() if line.startswith("TOKEN="))


def cpu_seconds(pids: list[int]) -> float:
    """User+system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident set size of a process (VmRSS in /proc/PID/status), in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_pids(server_pid: int) -> list[int]:
    """uvicorn's worker processes (children of the supervisor); [server_pid] with one worker."""
    out = subprocess.run(["pgrep", "-P", str(server_pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in out] or [server_pid]


def start_uvicorn(env: dict[str, str], port: int, *, workers: int = 1,
                  app: str = "gateway_admin.asgi:application") -> subprocess.Popen:
    """The product under uvicorn the way production runs it: uvloop, httptools, no access log."""
    command = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop",
               "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    if workers > 1:  # with one worker uvicorn serves in its own process (no supervisor)
        command += ["--workers", str(workers)]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def start_profiler(pid: int, output: str) -> subprocess.Popen:
    """py-spy record one process into `output` (.svg flame graph, or .txt collapsed stacks). Only
    samples holding the GIL (--gil): a thread waiting for it would otherwise be charged to whatever
    line it waits at, and the event loop competes for it with the request-log writer."""
    py_spy = str(Path(PYTHON).parent / "py-spy")
    fmt = "raw" if output.endswith(".txt") else "flamegraph"
    return subprocess.Popen([py_spy, "record", "--pid", str(pid), "--output", output, "--rate", "200",
                             "--nonblocking", "--gil", "--format", fmt], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

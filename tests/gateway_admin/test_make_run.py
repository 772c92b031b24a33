"""`make run`'s launcher end to end: emulator + demo key + uvicorn, the printed login works, Ctrl-C stops all."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_the_launcher_serves_the_demo_and_the_printed_login_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_SUPERUSER_", "CELERY_", "REDIS_URL"))}
    env.update(
        PORT=str(port),
        VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "bin/run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Uvicorn running" in line:
                break
        text = "".join(output)
        assert f"http://127.0.0.1:{port}/login/" in text, text
        username = re.search(r"username:\s+(\S+)", text).group(1)
        password = re.search(r"password:\s+(\S+)", text).group(1)
        emulator_port = int(re.search(r"emulator at http://127\.0\.0\.1:(\d+)", text).group(1))

        sa_file = tmp_path / "demo-service-account.json"
        assert stat.S_IMODE(sa_file.stat().st_mode) == 0o600

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as browser:
            login_page = browser.get("/login/")
            assert login_page.status_code == 200
            logged_in = browser.post(
                "/login/",
                data={"username": username, "password": password, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                headers={"Referer": f"http://127.0.0.1:{port}/login/"},
            )
            assert logged_in.status_code == 302, logged_in.text[:500]
            keys = browser.get("/api/v1/keys/").json()["results"]
            assert [k["name"] for k in keys] == ["demo"]
            assert keys[0]["credential"]["client_email"].startswith("gateway-demo@")
            assert keys[0]["vertex_key_config"]["deployment_regions"] == {"claude-3-5-haiku": "us-east5"}
            assert "PRIVATE KEY" not in browser.get("/api/v1/keys/").text

        token = subprocess.run(
            [sys.executable, "manage.py", "create_api_token", username, "--name", "launcher-test"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip().splitlines()[-1]
        answer = httpx.post(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            headers={"Authorization": f"Bearer {token}"},
            json={"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": "Say hi"}]},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["choices"][0]["message"]["content"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0
    assert not _port_open(port)
    assert not _port_open(emulator_port)

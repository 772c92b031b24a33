"""`python -m routing.emulator`: start, ready line, clean stop, bad arguments; only public keys are kept."""

from __future__ import annotations

import subprocess
import sys

import httpx

from routing.emulator.oauth import public_account
from tests.fixtures.emulator import ROOT, start_emulator_process, stop_emulator_process
from tests.fixtures.service_account import make_service_account


def test_it_prints_the_ready_line_serves_and_stops_cleanly():
    process, base_url = start_emulator_process("--project", "extra-project")
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(base_url + "/_emulator/health").json() == {"ok": True}
        assert "extra-project" in httpx.get(base_url + "/_emulator/projects").json()["projects"]
    finally:
        stop_emulator_process(process)
    assert process.returncode == 0


def test_a_missing_key_file_is_a_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "routing.emulator", "--port", "0", "--service-account", "/nonexistent/key.json"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "/nonexistent/key.json" in result.stderr


def test_only_the_public_half_of_a_key_is_kept():
    account = public_account(make_service_account(project_id="p1"))
    assert account.project_id == "p1"
    assert not hasattr(account.public_key, "private_bytes")
    assert "PRIVATE" not in repr(account)


def test_a_fault_for_zero_requests_is_refused(emulator):
    response = httpx.post(emulator.base_url + "/_emulator/faults", json={"status": 500, "times": 0})
    assert response.status_code == 400
    assert response.json()["error"].startswith("times:")

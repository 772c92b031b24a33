"""Load test for the Vertex emulator: non-streaming generateContent requests/s on one core.

Usage: .venv/bin/python bench/emulator_load.py [--requests 20000] [--seconds 10] [--connections 32]

Starts `python -m routing.emulator --cpu 0` (pinned to one core), mints a token through its /token
endpoint with google-auth, then drives it from a separate process (pinned to another core when
there is one) with a raw keep-alive HTTP/1.1 client on asyncio, so the client is cheaper than the
server it measures. Prints requests/s and latency percentiles. Stops at the request count or the
time limit, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATH = "/v1/projects/demo-project/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"
BODY = json.dumps({"contents": [{"role": "user", "parts": [{"text": "Explain how rainbows form, briefly"}]}]}).encode()


def start_emulator(cpu: int | None) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "routing.emulator", "--host", "127.0.0.1", "--port", "0"]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("Vertex emulator listening on "):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[-1].strip()


def mint_token(base_url: str) -> str:
    import google.auth.transport.requests
    import httpx
    from cryptography.hazmat.primitives import serialization
    from google.oauth2 import service_account

    from tests.fixtures.service_account import make_service_account

    sa = make_service_account(token_uri=base_url + "/token")
    key = serialization.load_pem_private_key(sa["private_key"].encode(), password=None)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    httpx.post(
        base_url + "/_emulator/service-accounts",
        json={"client_email": sa["client_email"], "private_key_id": sa["private_key_id"], "public_key_pem": public},
    ).raise_for_status()
    credentials = service_account.Credentials.from_service_account_info(
        sa, scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials.token


async def _connection(host: str, port: int, request: bytes, deadline: float, budget: list[int],
                      latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


async def _drive(base_url: str, token: str, total: int, seconds: float, connections: int) -> tuple[list[float], int, float]:
    host, port = base_url.removeprefix("http://").split(":")
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    latencies: list[float] = []
    errors: list[int] = []
    budget = [total]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_connection(host, int(port), request, deadline, budget, latencies, errors) for _ in range(connections))
    )
    return latencies, len(errors), time.perf_counter() - started


def _client(base_url: str, token: str, total: int, seconds: float, connections: int, cpu: int | None, out) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.send(asyncio.run(_drive(base_url, token, total, seconds, connections)))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), so a busy shared machine can be seen through."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=500)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu = cpus[0] if cpus else None
    client_cpu = cpus[1] if len(cpus) > 1 else None
    process, base_url = start_emulator(server_cpu)
    try:
        token = mint_token(base_url)
        results = []
        cpu_before = 0.0
        for total, seconds in ((args.warmup, 5.0), (args.requests, args.seconds)):
            cpu_before = _cpu_seconds(process.pid)
            parent, child = multiprocessing.Pipe()
            worker = multiprocessing.Process(
                target=_client, args=(base_url, token, total, seconds, args.connections, client_cpu, child)
            )
            worker.start()
            results.append(parent.recv())
            worker.join()
        latencies, errors, elapsed = results[-1]
        server_cpu_seconds = _cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        process.wait(timeout=5)
    latencies.sort()
    count = len(latencies)
    print(f"emulator pinned to cpu {server_cpu}, client on cpu {client_cpu}, {args.connections} keep-alive connections")
    print(f"requests: {count} in {elapsed:.2f}s, errors: {errors}")
    print(f"throughput: {count / elapsed:,.0f} requests/s (target > 1,500)")
    if server_cpu_seconds > 0:
        print(
            f"server CPU: {server_cpu_seconds:.2f}s for {count} requests = {server_cpu_seconds / count * 1e6:.0f} us/request"
            f" -> {count / server_cpu_seconds:,.0f} requests per CPU-second (the ceiling on one idle core)"
        )
    print(
        f"latency: p50 {statistics.median(latencies) * 1000:.2f} ms, "
        f"p99 {latencies[int(count * 0.99) - 1] * 1000:.2f} ms, max {latencies[-1] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    main()

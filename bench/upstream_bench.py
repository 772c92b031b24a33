"""How close the /v1 hot path is to Python's floor: the gateway against a static upstream, in one run.

    .venv/bin/python bench/upstream_bench.py [--duration 10] [--connections 50] [--workers 1 | 1,2,4]
        [--rss 20000,200000] [--database-url postgres://...] [--redis-url redis://...]
        [--profile out.svg] [--litellm-venv PATH] [--c1-requests 400]

Needs nginx and wrk (`apt-get install -y nginx-light wrk`; CI does not). One command: renders
bench/upstream/nginx.conf.template into a temp dir with canned Gemini `generateContent` /
`streamGenerateContent?alt=sse`, Claude `rawPredict` / `streamRawPredict` and Google token answers
(built by routing's emulator, so they are real wire shapes), starts nginx on loopback, creates a
fresh database (SQLite file, or --database-url) with a key whose token_uri is nginx's /token and an
API token with every per-call feature on (a model scope, an RPM limit far above the load, the
request log), starts the product (uvicorn, uvloop, httptools, gateway_admin.asgi; 1 worker by
default) with VERTEX_BASE_URL pointed at nginx, then measures:

- throughput with wrk (C, --connections, --duration, POST bodies through bench/upstream/wrk_post.lua):
  direct to nginx, `/v1/chat/completions` plain and streamed, `/v1/messages` (Claude) and the
  Vertex pass-through `/vertex/v1/...:generateContent` when those routes exist (a 404 skips them
  with a note), and a LiteLLM proxy on the same upstream when --litellm-venv is given;
- latency at concurrency 1 (aiohttp, sequential, direct and gateway alternating in blocks): p50/p99,
  and for streams the time to first byte; "added" = gateway minus direct;
- with `--workers 1,2,4`: the throughput curve (a fresh server per worker count);
- with `--rss 20000,200000`: the worker's RSS (/proc/PID/status VmRSS) after that many calls.

The CPU each phase cost the gateway workers is read from /proc (ms of CPU per call).
The machine's load average is printed: on a shared machine numbers move with it.

Measured 2026-12-04 on this 2-core machine shared with other work (load average 6-7 during both
runs, so req/s is what a worker got of a busy core; "CPU ms/call" is what each call cost it),
SQLite + Redis, 1 uvicorn worker, wrk -c50 -d10s, every feature on:

    path                                   before (main)            after (this branch)
    direct to nginx                        103,386 req/s            102,515 req/s
    /v1/chat/completions                   512 req/s, 1.42 ms CPU   858 req/s, 0.69 ms CPU (1,456/s per core)
    /v1/chat/completions stream            480 req/s, 1.54 ms CPU   773 req/s, 0.82 ms CPU (1,212/s per core)
    added p50 / p99 at c=1, plain          +1.78 / +5.07 ms         +0.88 / +3.31 ms
    added TTFB p50 / p99 at c=1, stream    +1.75 / +4.84 ms         +1.00 / +4.26 ms

Where a worker's time goes per chat call (`bench/profile_summary.py` over `--profile x.txt`: py-spy
--rate 200 --gil under wrk -c50, Redis; share of samples and the CPU it means per call):

    component                                   before (1.42 ms/call)   after (0.67 ms/call)
    upstream HTTP client                        40.6%  576 us (httpx)   23.5%  157 us (aiohttp direct)
    Django request/response handling            16.3%  231 us           18.8%  126 us
    uvicorn + httptools                          8.6%  122 us           14.7%   99 us
    routing (router, attempts, Google token)     2.8%   40 us           11.3%   76 us (incl. the direct exchange)
    event loop                                   7.5%  106 us            8.6%   58 us
    translation OpenAI <-> Gemini                3.1%   44 us            8.1%   54 us
    request log (entry, queue, writer thread)    2.1%   30 us            5.3%   36 us
    /v1 views and framing, pipeline              4.9%   70 us            6.1%   41 us
    schema validation, token cache               1.7%   24 us            2.7%   18 us
    rate limit (Redis round trip + thread hop)  11.3%  160 us            0.6%    4 us

What is left is spread thin: no component above the HTTP server and client, which the bare aiohttp
proxy (0.19 ms per call) pays too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson
from _setup import (
    MODEL,
    PROJECT,
    REGION,
    ROOT,
    cpu_seconds,
    free_port,
    product_env,
    rss_kib,
    service_account,
    setup_product,
    start_profiler,
    start_uvicorn,
    stop,
    worker_pids,
)

HERE = Path(__file__).resolve().parent / "upstream"
CLAUDE = "claude-sonnet-4-5"
CLAUDE_TARGET = "claude-sonnet-4-5@20250929"
PROMPT = "Say hello."
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64}
CHAT_STREAM = {**CHAT, "stream": True}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}], "generationConfig": {"maxOutputTokens": 64}}
MESSAGES = {"model": CLAUDE, "max_tokens": 64, "messages": [{"role": "user", "content": PROMPT}]}
GEMINI_PATH = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/{MODEL}:generateContent"


# -- the static upstream ------------------------------------------------------------------------------


def canned_answers() -> dict[str, bytes]:
    """The upstream's answers, built by routing's emulator from the benchmark's prompts."""
    from routing.emulator import anthropic, gemini

    full = gemini.build(MODEL, GEMINI, gemini.response_id())
    claude_body = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 64,
                   "messages": MESSAGES["messages"]}
    message = anthropic.build(CLAUDE_TARGET, claude_body)
    return {
        "TOKEN": orjson.dumps({"access_token": "bench-access-token", "expires_in": 3599, "token_type": "Bearer"}),
        "GEMINI": orjson.dumps(full),
        "GEMINI_STREAM": b"".join(gemini._events(full)),
        "CLAUDE": orjson.dumps(message),
        "CLAUDE_STREAM": b"".join(anthropic.events(message)),
    }


def nginx_string(body: bytes) -> str:
    """`body` as the inside of a single-quoted nginx string (nginx unescapes \\\\ \\' \\r \\n)."""
    text = body.decode()
    if "$" in text:
        raise ValueError("a canned answer must not contain '$' (nginx would read a variable)")
    return (text.replace("\\", "\\\\").replace("'", "\\'").replace("\r", "\\r").replace("\n", "\\n"))


def start_nginx(tmp: Path, port: int) -> subprocess.Popen:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("nginx is not installed: apt-get install -y nginx-light wrk")
    config = (HERE / "nginx.conf.template").read_text().replace("@@TMP@@", str(tmp)).replace("@@PORT@@", str(port))
    for name, body in canned_answers().items():
        config = config.replace(f"@@{name}@@", nginx_string(body))
    path = tmp / "nginx.conf"
    path.write_text(config)
    process = subprocess.Popen([nginx, "-c", str(path), "-p", str(tmp), "-e", str(tmp / "nginx-error.log")],
                               stdout=subprocess.DEVNULL)
    wait_port(port, process)
    return process


def wait_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


# -- wrk ----------------------------------------------------------------------------------------------


@dataclass
class Throughput:
    name: str
    rps: float = 0.0
    requests: int = 0
    errors: int = 0
    latency: str = ""
    cpu_ms: float | None = None
    note: str = ""


def wrk(name: str, url: str, body: dict | None, tmp: Path, *, auth: str = "", duration: float,
        connections: int, threads: int, pids: list[int] | None = None) -> Throughput:
    body_file = tmp / f"body-{abs(hash(name))}.json"
    body_file.write_bytes(orjson.dumps(body or {}))
    env = {**os.environ, "WRK_BODY": str(body_file), "WRK_AUTH": auth}
    cpu_before = cpu_seconds(pids or [])
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(duration))}s",
                          "--timeout", "10s", "-s", str(HERE / "wrk_post.lua"), url],
                         capture_output=True, text=True, env=env, check=True).stdout
    cpu = cpu_seconds(pids or []) - cpu_before
    result = Throughput(name)
    if match := re.search(r"Requests/sec:\s+([\d.]+)", out):
        result.rps = float(match.group(1))
    if match := re.search(r"(\d+) requests in", out):
        result.requests = int(match.group(1))
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                    r"timeout (\d+)"):
        if match := re.search(pattern, out):
            result.errors += sum(int(g) for g in match.groups())
    if match := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out):
        result.latency = f"avg {match.group(1)} max {match.group(3)}"
    if pids and result.requests:
        result.cpu_ms = cpu / result.requests * 1000
    return result


# -- concurrency 1 ------------------------------------------------------------------------------------


@dataclass
class Latency:
    name: str
    total: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    errors: int = 0

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def one(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], stats: Latency,
              stream: bool) -> None:
    started = time.perf_counter()
    first = None
    try:
        async with session.post(url, data=body, headers=headers) as response:
            if stream:
                tail = b""
                async for chunk in response.content.iter_any():
                    if first is None:
                        first = time.perf_counter() - started
                    tail = (tail + chunk)[-2048:]
                ok = response.status == 200 and b'"error"' not in tail
            else:
                payload = await response.read()
                ok = response.status == 200 and b'"error"' not in payload[:40]
    except aiohttp.ClientError:
        ok = False
    if not ok:
        stats.errors += 1
        return
    stats.total.append(time.perf_counter() - started)
    if first is not None:
        stats.ttfb.append(first)


async def latency_c1(targets: dict[str, tuple[str, bytes, dict[str, str], bool]], requests: int,
                     blocks: int = 8) -> dict[str, Latency]:
    """Sequential calls, the targets alternating in blocks so machine noise hits all of them."""
    stats = {name: Latency(name) for name in targets}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None)) as session:
        for name, (url, body, headers, stream) in targets.items():  # warm-up: connections, caches
            for _ in range(50):
                await one(session, url, body, headers, Latency(name), stream)
        for _ in range(blocks):
            for name, (url, body, headers, stream) in targets.items():
                for _ in range(max(1, requests // blocks)):
                    await one(session, url, body, headers, stats[name], stream)
    return stats


async def status_of(url: str, body: dict, token: str) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            url, json=body, headers={"Authorization": f"Bearer {token}", "x-api-key": token}) as response:
        await response.read()
        return response.status


async def wait_ready(url: str, token: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/v1/models", headers={"Authorization": f"Bearer {token}"}) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the gateway did not become ready")


# -- LiteLLM (optional) -------------------------------------------------------------------------------


def start_litellm(venv: Path, tmp: Path, port: int, upstream: str, sa_path: Path) -> subprocess.Popen:
    """A LiteLLM proxy (1 worker) serving the same model from the same static upstream."""
    config = tmp / "litellm.yaml"
    config.write_text(json.dumps({"model_list": [{"model_name": MODEL, "litellm_params": {
        "model": f"vertex_ai/{MODEL}", "vertex_project": PROJECT, "vertex_location": REGION,
        "vertex_credentials": str(sa_path), "api_base": upstream + f"/v1/projects/{PROJECT}/locations/{REGION}"
        f"/publishers/google/models/{MODEL}"}}], "general_settings": {}}))  # JSON is YAML
    process = subprocess.Popen([str(venv / "bin" / "litellm"), "--config", str(config), "--host", "127.0.0.1",
                                "--port", str(port), "--num_workers", "1"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "LITELLM_LOG": "ERROR"})
    wait_port(port, process, timeout=120)
    return process


# -- the run ------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_table(rows: list[Throughput], connections: int) -> None:
    print(f"\n{'path (wrk, c=' + str(connections) + ')':<44} {'req/s':>9} {'requests':>9} {'errors':>6} "
          f"{'cpu ms/call':>11} {'1000/cpu':>8}  note")
    for r in rows:
        # 1000/cpu: the calls per second one fully available core would serve at this CPU cost per call
        # (on a busy shared machine the worker does not get a whole core, and req/s understates it).
        cpu = (f"{r.cpu_ms:11.2f} {1000 / r.cpu_ms:8,.0f}" if r.cpu_ms else f"{'-':>11} {'-':>8}")
        rps = f"{r.rps:9,.0f}" if not r.note.startswith("skipped") else f"{'-':>9}"
        print(f"{r.name:<44} {rps} {r.requests:>9} {r.errors:>6} {cpu}  {r.note or r.latency}")


class Bench:
    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args, self.tmp = args, tmp
        self.nginx_port = free_port()
        self.upstream = f"http://127.0.0.1:{self.nginx_port}"
        sa = service_account(self.upstream + "/token")
        self.sa_path = tmp / "sa.json"
        self.sa_path.write_text(json.dumps(sa))
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        extra = {"REDIS_URL": args.redis_url} if args.redis_url else {}
        self.env = product_env(str(tmp), database_url=database_url, vertex_base_url=self.upstream,
                               token_uri=self.upstream + "/token", **extra)

    def wrk(self, name: str, url: str, body: dict | None, *, auth: str = "", pids: list[int] | None = None,
            duration: float | None = None) -> Throughput:
        return wrk(name, url, body, self.tmp, auth=auth, duration=duration or self.args.duration,
                   connections=self.args.connections, threads=self.args.threads, pids=pids)

    def serve(self, workers: int) -> tuple[subprocess.Popen, str, list[int]]:
        port = free_port()
        server = start_uvicorn(self.env, port, workers=workers)
        url = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(url, self.token))
        pids = worker_pids(server.pid) if workers > 1 else [server.pid]
        return server, url, pids

    def run(self) -> None:
        args = self.args
        nginx = start_nginx(self.tmp, self.nginx_port)
        try:
            self.token = setup_product(self.env, self.sa_path, deployments={MODEL: MODEL, CLAUDE: CLAUDE_TARGET},
                                       rpm_limit=10_000_000, model_scopes=[MODEL, CLAUDE])
            workers = [int(n) for n in args.workers.split(",")]
            print(f"upstream nginx {self.upstream}; database "
                  f"{'SQLite (fresh)' if not args.database_url else args.database_url.split('@')[-1]}; cache "
                  f"{args.redis_url or 'local memory'}; load average {load_average()}")
            self.main_table(workers[0])
            if len(workers) > 1:
                self.curve(workers)
        finally:
            stop(nginx)
        print(f"load average at the end: {load_average()}")

    def main_table(self, workers: int) -> None:
        args = self.args
        server, url, pids = self.serve(workers)
        profiler = None
        try:
            rows = [self.wrk("direct to the upstream (Gemini generateContent)", self.upstream + GEMINI_PATH, GEMINI)]
            self.wrk("warm-up", url + "/v1/chat/completions", CHAT, auth=self.token, duration=2)
            if args.profile:
                profiler = start_profiler(pids[0], args.profile)
            rows.append(self.wrk(f"gateway /v1/chat/completions ({workers} worker)", url + "/v1/chat/completions",
                                 CHAT, auth=self.token, pids=pids))
            if profiler is not None:
                stop(profiler)
                profiler = None
                print(f"profile of one worker during the chat phase: {args.profile}")
            rows.append(self.wrk(f"gateway /v1/chat/completions stream ({workers} worker)",
                                 url + "/v1/chat/completions", CHAT_STREAM, auth=self.token, pids=pids))
            optional = [("gateway /v1/messages (Claude)", url + "/v1/messages", MESSAGES),
                        ("gateway /vertex pass-through generateContent", url + "/vertex" + GEMINI_PATH, GEMINI)]
            for name, target, body in optional:
                status = asyncio.run(status_of(target, body, self.token))
                if status == 404:
                    rows.append(Throughput(name, note="skipped: the route answers 404 on this branch"))
                elif status != 200:
                    rows.append(Throughput(name, note=f"skipped: HTTP {status}"))
                else:
                    rows.append(self.wrk(name, target, body, auth=self.token, pids=pids))
            if args.litellm_venv:
                rows.append(self.litellm())
            print_table(rows, args.connections)
            self.latency(url)
            if args.rss:
                self.rss(url, pids[0])
        finally:
            if profiler is not None:
                stop(profiler)
            stop(server)

    def litellm(self) -> Throughput:
        port = free_port()
        try:
            proxy = start_litellm(Path(self.args.litellm_venv), self.tmp, port, self.upstream, self.sa_path)
        except Exception as exc:
            return Throughput("LiteLLM proxy, 1 worker", note=f"skipped: {exc}")
        try:
            return self.wrk("LiteLLM proxy /v1/chat/completions, 1 worker",
                            f"http://127.0.0.1:{port}/v1/chat/completions", CHAT, auth="sk-bench",
                            pids=[proxy.pid])
        finally:
            stop(proxy)

    def latency(self, url: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        plain = {"Content-Type": "application/json"}
        targets = {
            "direct": (self.upstream + GEMINI_PATH, orjson.dumps(GEMINI), plain, False),
            "gateway": (url + "/v1/chat/completions", orjson.dumps(CHAT), headers, False),
            "direct stream": (self.upstream + GEMINI_PATH.replace(":generateContent", ":streamGenerateContent")
                              + "?alt=sse", orjson.dumps(GEMINI), plain, True),
            "gateway stream": (url + "/v1/chat/completions", orjson.dumps(CHAT_STREAM), headers, True),
        }
        stats = asyncio.run(latency_c1(targets, self.args.c1_requests))
        pct = Latency.pct
        print(f"\n{'concurrency 1 (aiohttp)':<24} {'calls':>6} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'ttfb50':>7} {'ttfb99':>7}")
        for s in stats.values():
            ttfb = f"{pct(s.ttfb, .5):7.2f} {pct(s.ttfb, .99):7.2f}" if s.ttfb else f"{'-':>7} {'-':>7}"
            print(f"{s.name:<24} {len(s.total):>6} {s.errors:>6} {pct(s.total, .5):7.2f} {pct(s.total, .99):7.2f} {ttfb}")
        d, g, ds, gs = stats["direct"], stats["gateway"], stats["direct stream"], stats["gateway stream"]
        print(f"added latency, plain: p50 {pct(g.total, .5) - pct(d.total, .5):+.2f} ms, "
              f"p99 {pct(g.total, .99) - pct(d.total, .99):+.2f} ms (target <= 1.0 / 3.0)")
        print(f"added time to first byte, stream: p50 {pct(gs.ttfb, .5) - pct(ds.ttfb, .5):+.2f} ms, "
              f"p99 {pct(gs.ttfb, .99) - pct(ds.ttfb, .99):+.2f} ms (target <= 1.0 / 3.0)")

    def rss(self, url: str, pid: int) -> None:
        marks = sorted(int(n) for n in self.args.rss.split(","))
        done, rps, seen = 0, 1000.0, []
        print(f"\nRSS of worker {pid} (VmRSS) after N chat calls (wrk -c{self.args.connections}): "
              f"at start {rss_kib(pid) / 1024:.1f} MiB")
        for mark in marks:
            while done < mark:
                duration = min(30.0, max(1.0, (mark - done) / max(rps, 1.0)))
                result = self.wrk("rss", url + "/v1/chat/completions", CHAT, auth=self.token, duration=duration)
                done += result.requests
                rps = result.rps or rps
            seen.append((done, rss_kib(pid)))
            print(f"  after {done:>8,} calls: {seen[-1][1] / 1024:7.1f} MiB")
        if len(seen) > 1:
            growth = (seen[-1][1] - seen[0][1]) / seen[0][1] * 100
            print(f"  growth from {seen[0][0]:,} to {seen[-1][0]:,} calls: {growth:+.1f}% (target within 10%)")

    def curve(self, workers: list[int]) -> None:
        rows = []
        for n in workers:
            server, url, pids = self.serve(n)
            try:
                self.wrk("warm-up", url + "/v1/chat/completions", CHAT, auth=self.token, duration=2)
                rows.append(self.wrk(f"{n} worker(s) chat", url + "/v1/chat/completions", CHAT,
                                     auth=self.token, pids=pids))
                rows.append(self.wrk(f"{n} worker(s) chat stream", url + "/v1/chat/completions", CHAT_STREAM,
                                     auth=self.token, pids=pids))
            finally:
                stop(server)
        print(f"\nthroughput curve (one uvicorn process per worker; {os.cpu_count()} cores shared with wrk "
              f"and nginx)")
        print_table(rows, self.args.connections)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk phase")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1 leaves the cores to the gateway)")
    parser.add_argument("--workers", default="1", help="uvicorn workers; a list (1,2,4) adds the curve")
    parser.add_argument("--c1-requests", type=int, default=400, help="calls per target at concurrency 1")
    parser.add_argument("--rss", default="", help="report the worker's RSS after these many calls, e.g. 20000,200000")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file; a PostgreSQL URL is "
                        "dropped and re-created (its name must start with h_ or bench)")
    parser.add_argument("--redis-url", default="", help="Django's cache (rate limits, cooldowns) on Redis")
    parser.add_argument("--profile", default="", help="py-spy record the worker during the chat phase into this "
                        "file (.svg flame graph, .txt collapsed stacks); `pip install py-spy`")
    parser.add_argument("--litellm-venv", default="", help="a virtualenv with `litellm[proxy]`, to compare")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y nginx-light wrk")
    with tempfile.TemporaryDirectory(prefix="upstream-bench-") as tmp:
        Bench(args, Path(tmp)).run()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

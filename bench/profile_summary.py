"""Where a worker's time goes, by component, from a py-spy collapsed-stacks file.

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--calls N]

PROFILE.txt is `py-spy record --format raw` output (bench/upstream_bench.py --profile x.txt writes
one). Each sample is charged to the first component found walking its stack from the innermost
frame outwards, so time in httpx called from routing counts as the HTTP client, and time in Django's
response class called from a view counts as Django. With --calls (the calls served while
sampling) and --seconds, it also prints the CPU share per call in microseconds.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

# (component, frame patterns); the first component matching a frame (innermost first) wins.
COMPONENTS: list[tuple[str, tuple[str, ...]]] = [
    ("request log (entry, queue, writer thread)", ("services/request_log.py",)),
    ("rate limit (cache round trip, thread hop)", ("usage/ratelimit.py", "django/core/cache/", "redis/")),
    ("auth / token cache", ("services/tokens.py", "openai_api/auth.py")),
    ("schema validation", ("jsonschema", "openai_api/schemas.py", "referencing/", "json_limits.py")),
    ("translation (OpenAI <-> family)", ("routing/families/", "routing/openai_types.py", "routing/responses.py",
                                         "routing/sse.py", "routing/usage.py")),
    ("upstream HTTP client (httpx over aiohttp)", ("httpx/", "httpx_aiohttp", "aiohttp/", "yarl/", "multidict/",
                                                   "httpcore/", "anyio/", "h11/")),
    ("routing (router, candidates, attempts, Google token)", ("routing/",)),
    ("pipeline (GatewayCall, events, state)", ("gateway_admin/pipeline/",)),
    ("/v1 views and framing", ("gateway_admin/openai_api/",)),
    ("Django request/response handling", ("django/", "asgiref/")),
    ("uvicorn + httptools (HTTP server)", ("uvicorn/", "httptools")),
    ("thread pool (to_thread / run_db hops)", ("concurrent/futures/", "threading.py")),
    ("event loop (asyncio, uvloop)", ("asyncio/", "uvloop")),
]
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*):\d+\)$")


def summarise(path: str) -> tuple[Counter[str], int]:
    totals: Counter[str] = Counter()
    samples = 0
    with open(path) as lines:
        for line in lines:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            samples += n
            frames = stack.split(";")
            for frame in reversed(frames):
                match = FRAME.match(frame)
                where = match.group("file") if match else frame
                component = next((name for name, patterns in COMPONENTS if any(p in where for p in patterns)), None)
                if component is not None:
                    totals[component] += n
                    break
            else:
                totals["other"] += n
    return totals, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--calls", type=int, default=0, help="calls served while sampling")
    parser.add_argument("--seconds", type=float, default=0.0, help="CPU seconds the worker used while sampling")
    args = parser.parse_args()
    totals, samples = summarise(args.profile)
    per_call = args.seconds / args.calls * 1e6 if args.calls and args.seconds else 0.0
    print(f"{samples} samples")
    for name, n in totals.most_common():
        extra = f" {per_call * n / samples:7.0f} us/call" if per_call else ""
        print(f"{n / samples * 100:6.1f}%{extra}  {name}")


if __name__ == "__main__":
    main()

"""`python -m routing.emulator --host 127.0.0.1 --port N [--service-account KEY.json ...]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

from .app import Emulator
from .server import install_uvloop, start_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m routing.emulator", description="Local Vertex AI emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790, help="0 picks a free port")
    parser.add_argument(
        "--service-account", action="append", default=[], metavar="KEY.json",
        help="register a service account (only its public key is kept); repeatable",
    )
    parser.add_argument("--project", action="append", default=[], help="an extra known project id; repeatable")
    parser.add_argument("--cpu", type=int, default=None, help="pin the process to this CPU (benchmarks)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    emulator = Emulator(projects=tuple(args.project))
    for path in args.service_account:
        with open(path, encoding="utf-8") as handle:
            emulator.register_account(json.load(handle))
    server = await start_server(emulator.handle, args.host, args.port)
    port = server.sockets[0].getsockname()[1]
    print(f"Vertex emulator listening on http://{args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    install_uvloop()
    try:
        asyncio.run(serve(args))
    except FileNotFoundError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

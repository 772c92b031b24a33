"""Process lifecycle makes no noise: routing's pooled aiohttp connections are released quietly when a
process forks (Celery's prefork children) and when it exits, whatever loops used them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import asyncio, gc, logging, os, sys, threading
    logging.basicConfig(level=logging.WARNING)
    from routing import transport

    url = sys.argv[1]

    async def call():
        return (await transport.async_client().get(url)).status_code

    # A loop that keeps running in a thread (a server's or a background loop), one that ended
    # without closing its client (asyncio.run in a task), then a fork, as Celery's prefork pool does.
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    print("thread", asyncio.run_coroutine_threadsafe(call(), loop).result(10), flush=True)
    print("run", asyncio.run(call()), flush=True)
    pid = os.fork()
    if pid == 0:
        gc.collect()
        print("child", asyncio.run(call()), flush=True)
        gc.collect()
        sys.exit(0)
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status), flush=True)
""")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_children_and_exiting_processes_leave_no_unclosed_connection_warnings(emulator) -> None:  # type: ignore[no-untyped-def]
    done = subprocess.run([sys.executable, "-X", "dev", "-c", SCRIPT, emulator.base_url + "/_emulator/faults"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:4] == ["thread 200", "run 200", "child 200", "child exit 0"], done.stdout
    assert "Unclosed" not in done.stderr, done.stderr

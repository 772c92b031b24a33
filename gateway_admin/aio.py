"""The one bridge between sync and async code in gateway_admin.

Three crossings, each in one place:

- `run_db(fn, ...)` (async -> sync): ORM work from async code (the call pipeline, /v1 views) on a
  small pool of long-lived threads, off the event loop. Each job ends with
  `close_old_connections()`, which is what Django's request signals would do, so a broken or aged
  connection is never reused.
- `run_sync(make)` (sync -> async): a routing coroutine from sync code (Celery tasks, eager tasks
  inside a request, dashboard views). It runs on one background event loop per process, so the
  pooled upstream client (one per loop) is reused instead of a fresh loop and client per call.
- `iterate_sync(make)` (sync -> async iterator): the same loop drives an async iterator for a sync
  (WSGI) view that streams, yielding each item as soon as it is produced.

Under ASGI, async views and streams use routing directly and only need `run_db`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections

T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gateway-db")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None
_DONE = object()


# -- async -> sync (the ORM) ---------------------------------------------------------------------


def _run_closing(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a sync ORM function on the database threads and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(_run_closing, fn, args, kwargs))


# -- sync -> async (routing) ---------------------------------------------------------------------


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_thread
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            _loop_thread = threading.Thread(target=loop.run_forever, name="gateway-async", daemon=True)
            _loop_thread.start()
            _loop = loop
        return _loop


def _on_background_loop() -> bool:
    return _loop_thread is not None and threading.current_thread() is _loop_thread


@atexit.register
def _close_loop_clients() -> None:
    # Close the loop's pooled HTTP client while the loop still runs, so nothing warns at exit.
    loop = _loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return
    from routing import transport

    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(transport.aclose(), loop).result(2)
    loop.call_soon_threadsafe(loop.stop)


def run_sync(make: Callable[[], Awaitable[T]]) -> T:
    """Run the awaitable `make()` returns on the background loop and wait for its result.

    Callable from any thread, including one that runs an event loop of its own (an eager Celery
    task inside an async view); only the background loop itself must not block on it, so there
    the coroutine gets a short-lived loop on a helper thread.
    """
    async def main() -> T:
        return await make()

    if _on_background_loop():
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, main()).result()
    return asyncio.run_coroutine_threadsafe(main(), _background_loop()).result()


def iterate_sync(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Drive an async iterator on the background loop; yield each item as soon as it is produced."""
    out: queue.Queue[Any] = queue.Queue()

    async def pump() -> None:
        try:
            async for item in make():
                out.put(item)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            out.put(exc)
        finally:
            out.put(_DONE)

    future = asyncio.run_coroutine_threadsafe(pump(), _background_loop())
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        # The client went away mid-stream: stop the producer (closes the upstream stream too).
        if not future.done():
            future.cancel()

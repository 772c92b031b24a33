"""One background event loop for sync (WSGI) views that must run routing's async code.

Only for WSGI: under ASGI, views stream async iterators or are async themselves.

Under WSGI there is no running loop; `asyncio.run` per request would create a loop, and so a new
pooled HTTP client, for every call. Instead, one daemon thread runs a loop for the life of the
process; sync views hand coroutines to it. Under ASGI the views stream async iterators directly.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

T = TypeVar("T")
_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_DONE = object()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="dashboard-async", daemon=True).start()
            _loop = loop
        return _loop


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


async def _release_db() -> None:
    # ORM calls made from the loop run in asgiref's thread-sensitive worker thread, where no request
    # ends to close the connection; end it here as a request would (CONN_MAX_AGE applies).
    with contextlib.suppress(Exception):
        await sync_to_async(close_old_connections, thread_sensitive=True)()


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
            await _release_db()
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

"""Database work from /v1's async views, off the event loop, on a small pool of long-lived threads.

The /v1 hot path does not touch the database (tokens and configuration are cached per process);
what remains (cache misses, video jobs) runs here. Each job ends with `close_old_connections()`,
which is what Django's request signals would do, so a broken or aged connection is never reused.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections

T = TypeVar("T")

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="v1-db")


def _run(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a sync ORM function in the /v1 database threads and await its result."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(_run, fn, args, kwargs))

"""Process-wide pooled clients: one async client per event loop, one sync client, explicit limits."""

from __future__ import annotations

import asyncio
import gc
import os
import warnings

import httpx
import pytest

from routing import transport


@pytest.fixture(autouse=True)
def fresh_transport():
    saved = transport.settings()
    yield
    transport.configure(**saved.__dict__)
    transport._reset_after_fork()


async def test_the_same_loop_gets_the_same_async_client():
    assert transport.async_client() is transport.async_client()
    await transport.aclose()


def test_each_event_loop_gets_its_own_client_and_closed_loops_are_dropped(emulator):
    async def grab() -> httpx.AsyncClient:
        client = transport.async_client()
        # A real request, so that the pool holds a connection bound to this loop.
        (await client.get(emulator.base_url + "/_emulator/faults")).raise_for_status()
        return client

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # bare asyncio.run leaves sockets to the GC
        first = asyncio.run(grab())
        second = asyncio.run(grab())  # would fail with "Event loop is closed" if the client were reused
        assert first is not second
        assert list(transport._async_clients.values()) == [second]
        transport._reset_after_fork()
        del first, second
        gc.collect()


def test_run_closes_its_loop_client_without_leaking_connections(emulator):
    async def call() -> int:
        response = await transport.async_client().get(emulator.base_url + "/_emulator/faults")
        return response.status_code

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        assert transport.run(call()) == 200
        gc.collect()
    assert transport._async_clients == {}


def test_configure_sets_limits_and_explicit_timeouts():
    transport.configure(max_connections=17, keepalive_expiry=5.0, connect_timeout=1.5, read_timeout=9.0,
                        backend="httpx")

    async def grab() -> httpx.AsyncClient:
        client = transport.async_client()
        await transport.aclose()
        return client

    client = asyncio.run(grab())
    assert client.timeout == httpx.Timeout(connect=1.5, read=9.0, write=30.0, pool=10.0)
    pool = client._transport._pool
    assert pool._max_connections == 17 and pool._keepalive_expiry == 5.0


def test_the_aiohttp_backend_gets_the_same_limits():
    transport.configure(max_connections=23, keepalive_expiry=7.0, backend="aiohttp")
    client = transport.new_async_client()
    from httpx_aiohttp import AiohttpTransport

    assert isinstance(client._transport, AiohttpTransport)
    assert client._transport.limits.max_connections == 23
    assert client._transport.limits.keepalive_expiry == 7.0


def test_the_sync_client_is_shared_by_the_process():
    assert transport.sync_client() is transport.sync_client()
    assert transport.sync_client().timeout.read == transport.settings().read_timeout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_parents_client():
    parent = id(transport.sync_client())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        os.write(write, b"same" if id(transport._sync_client) == parent else b"fresh")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.waitpid(pid, 0)
    assert answer == b"fresh"


def test_run_closes_the_client_its_loop_created():
    seen: list[httpx.AsyncClient] = []

    async def work() -> str:
        seen.append(transport.async_client())
        return "done"

    assert transport.run(work()) == "done"
    assert seen[0].is_closed
    assert transport._async_clients == {}


def test_routing_exports_its_public_api_lazily_and_never_imports_django():
    import subprocess
    import sys

    code = ("import sys, routing; assert 'routing.router' not in sys.modules; "
            "from routing import Router, RouteResult, TokenCache, RetryPolicy, RoutingError; "
            "assert 'django' not in sys.modules, 'routing imported django'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))

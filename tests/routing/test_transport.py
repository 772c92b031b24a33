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


def test_each_event_loop_gets_its_own_client_and_closed_loops_are_dropped():
    async def grab() -> httpx.AsyncClient:
        return transport.async_client()

    first = asyncio.run(grab())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an aiohttp "Unclosed client session" would fail here
        second = asyncio.run(grab())
        assert first is not second
        assert len(transport._async_clients) == 1  # the first loop's client was forgotten
        del first
        gc.collect()


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

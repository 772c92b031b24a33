"""Token cache: google-auth mints through our httpx adapter; cached, refreshed ahead, single-flight.

The seam mocked here is the transport (httpx.MockTransport standing in for Google's token endpoint);
google-auth itself runs for real: it signs the JWT with the generated key and parses the answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest

from routing.auth import SCOPE, TokenCache
from routing.config import KeyConfig
from routing.errors import AuthenticationError

TOKEN_URI = "https://tokens.example.test/token"


class FakeTokenEndpoint:
    """Google's token endpoint as a MockTransport handler, counting the grants it answers."""

    def __init__(self, *, delay: float = 0.0, expires_in: int = 3599) -> None:
        self.delay = delay
        self.expires_in = expires_in
        self.calls = 0
        self.fail_with: tuple[int, dict] | None = None
        self.grants: list[dict] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.calls += 1
            n = self.calls
        self.grants.append({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        if self.fail_with is not None:
            status, body = self.fail_with
            return httpx.Response(status, json=body)
        return httpx.Response(200, json={"access_token": f"token-{n}", "expires_in": self.expires_in,
                                         "token_type": "Bearer"})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sa_json(service_account_factory) -> str:
    return json.dumps(service_account_factory(token_uri=TOKEN_URI))


@pytest.fixture
def endpoint() -> FakeTokenEndpoint:
    return FakeTokenEndpoint()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(endpoint, clock) -> TokenCache:
    return TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(endpoint)))


def make_key(credentials: str, key_id: str = "k1", fingerprint: str = "") -> KeyConfig:
    return KeyConfig(key_id=key_id, name="Key one", project_id="demo-project", region="us-central1",
                     credentials=credentials, credential_fingerprint=fingerprint)


def test_it_mints_a_token_with_a_signed_jwt_grant_for_the_cloud_platform_scope(cache, endpoint, sa_json):
    assert cache.token_sync(make_key(sa_json)) == "token-1"
    grant = endpoint.grants[0]
    assert grant["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    _header, payload, _sig = grant["assertion"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["scope"] == SCOPE
    assert cache.token_requests == 1


async def test_it_caches_the_token_until_the_refresh_margin(cache, endpoint, clock, sa_json):
    key = make_key(sa_json)
    assert await cache.token(key) == "token-1"
    clock.now += 3599 - 300 - 1
    assert await cache.token(key) == "token-1"
    assert endpoint.calls == 1
    clock.now += 2  # inside the 300 s margin: still valid, refreshed in the background
    assert await cache.token(key) == "token-1"
    for _ in range(300):  # the background refresh lands shortly
        if await cache.token(key) == "token-2":
            break
        await asyncio.sleep(0.01)
    assert await cache.token(key) == "token-2"
    assert cache.token_requests == 2 and endpoint.calls == 2


async def test_past_expiry_callers_wait_for_the_new_token(cache, endpoint, clock, sa_json):
    key = make_key(sa_json)
    await cache.token(key)
    clock.now += 3599 - 10  # too close to expiry to hand out
    assert await cache.token(key) == "token-2"


async def test_twenty_concurrent_calls_on_a_cold_key_make_one_token_request(endpoint, clock, sa_json):
    endpoint.delay = 0.05
    cache = TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(endpoint)))
    tokens = await asyncio.gather(*(cache.token(make_key(sa_json)) for _ in range(20)))
    assert set(tokens) == {"token-1"}
    assert endpoint.calls == 1
    assert cache.token_requests == 1


def test_twenty_threads_on_a_cold_key_make_one_token_request(endpoint, clock, sa_json):
    endpoint.delay = 0.05
    cache = TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(endpoint)))
    results: list[str] = []
    barrier = threading.Barrier(20)

    def call() -> None:
        barrier.wait()
        results.append(cache.token_sync(make_key(sa_json)))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["token-1"] * 20
    assert endpoint.calls == 1


async def test_async_callers_and_threads_share_one_refresh(endpoint, clock, sa_json):
    endpoint.delay = 0.05
    cache = TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(endpoint)))
    key = make_key(sa_json)
    threads = [threading.Thread(target=cache.token_sync, args=(key,)) for _ in range(5)]
    for t in threads:
        t.start()
    await asyncio.gather(*(cache.token(key) for _ in range(10)))
    for t in threads:
        t.join()
    assert endpoint.calls == 1


async def test_time_travel_past_expiry_makes_exactly_one_refresh(cache, endpoint, clock, sa_json):
    key = make_key(sa_json)
    await cache.token(key)
    clock.now += 7200
    tokens = await asyncio.gather(*(cache.token(key) for _ in range(10)))
    assert set(tokens) == {"token-2"}
    assert endpoint.calls == 2


async def test_short_lived_tokens_are_refreshed_at_half_their_lifetime(endpoint, clock, sa_json):
    endpoint.expires_in = 60
    cache = TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(endpoint)))
    key = make_key(sa_json)
    await cache.token(key)
    clock.now += 25
    assert await cache.token(key) == "token-1"
    clock.now += 10
    assert cache.token_sync(key) == "token-2"


async def test_invalidate_drops_the_token_so_the_next_call_mints_again(cache, endpoint, sa_json):
    key = make_key(sa_json)
    assert await cache.token(key) == "token-1"
    cache.invalidate(key)
    assert await cache.token(key) == "token-2"


async def test_invalidating_a_stale_token_keeps_the_fresh_one(cache, endpoint, sa_json):
    key = make_key(sa_json)
    stale = await cache.token(key)
    cache.invalidate(key, token=stale)
    fresh = await cache.token(key)
    cache.invalidate(key, token=stale)  # a second call that failed with the old token
    assert await cache.token(key) == fresh
    assert endpoint.calls == 2


async def test_a_rotated_credential_gets_its_own_token(cache, endpoint, sa_json, service_account_factory):
    other = json.dumps(service_account_factory(token_uri=TOKEN_URI, name="rotated"))
    assert await cache.token(make_key(sa_json, fingerprint="fp-a")) == "token-1"
    assert await cache.token(make_key(other, fingerprint="fp-b")) == "token-2"
    assert await cache.token(make_key(sa_json, fingerprint="fp-a")) == "token-1"


async def test_a_refused_grant_names_the_token_host_and_oauth_error_but_not_the_key(cache, endpoint, sa_json):
    endpoint.fail_with = (400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    with pytest.raises(AuthenticationError) as caught:
        await cache.token(make_key(sa_json))
    message = caught.value.user_message
    assert "tokens.example.test" in message
    assert "invalid_grant: Invalid JWT Signature." in message
    assert "PRIVATE KEY" not in message and json.loads(sa_json)["private_key_id"] not in message


@pytest.mark.parametrize("reply", [b"[1, 2]", b'"a string"', b"not json", b'{"access_token": "t", "expires_in": "soon"}',
                                   b'{"access_token": "t", "expires_in": [1]}'])
async def test_a_malformed_token_reply_is_an_authentication_error(clock, sa_json, reply):
    cache = TokenCache(clock=clock, http=httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=reply))))
    with pytest.raises(AuthenticationError) as caught:
        await cache.token(make_key(sa_json))
    message = caught.value.user_message
    assert "tokens.example.test" in message and "malformed" in message
    assert "indices" not in message and "Traceback" not in message


@pytest.mark.parametrize("status", [500, 503])
async def test_a_token_endpoint_outage_is_not_reported_as_a_bad_key(cache, endpoint, sa_json, status):
    endpoint.fail_with = (status, {"error": {"code": status, "message": "The service is currently unavailable.",
                                             "status": "UNAVAILABLE"}})
    with pytest.raises(AuthenticationError) as caught:
        await cache.token(make_key(sa_json))
    message = caught.value.user_message
    assert f"HTTP {status}" in message and "outage" in message and "not a problem with the key" in message
    assert "Check that the service-account key" not in message
    assert "{" not in message and "'code'" not in message


async def test_a_refusal_in_googles_error_shape_is_named_without_a_dict(cache, endpoint, sa_json):
    endpoint.fail_with = (400, {"error": {"code": 400, "message": "Bad request.", "status": "INVALID_ARGUMENT"}})
    with pytest.raises(AuthenticationError) as caught:
        await cache.token(make_key(sa_json))
    assert "refused to issue an access token: INVALID_ARGUMENT" in caught.value.user_message
    assert "{" not in caught.value.user_message


async def test_an_unreachable_token_endpoint_is_an_authentication_error_naming_the_host(clock, sa_json):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    cache = TokenCache(clock=clock, http=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(AuthenticationError, match=r"Could not reach tokens\.example\.test"):
        await cache.token(make_key(sa_json))


async def test_a_failed_refresh_serves_the_still_valid_token(cache, endpoint, clock, sa_json):
    key = make_key(sa_json)
    await cache.token(key)
    clock.now += 3599 - 100  # inside the margin, before expiry
    endpoint.fail_with = (400, {"error": "invalid_grant", "error_description": "account disabled"})
    assert await cache.token(key) == "token-1"
    clock.now += 200  # now expired: the failure must surface
    with pytest.raises(AuthenticationError):
        await cache.token(key)


async def test_a_credential_that_does_not_load_is_reported_without_its_content(cache):
    bad = json.dumps({"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com",
                      "private_key": "-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----\n",
                      "token_uri": TOKEN_URI})
    with pytest.raises(AuthenticationError) as caught:
        await cache.token(make_key(bad))
    assert "SECRETSTUFF" not in str(caught.value)
    assert "Key one" in str(caught.value)


async def test_empty_credentials_use_application_default_credentials(
        cache, endpoint, tmp_path, monkeypatch, service_account_factory):
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps(service_account_factory(token_uri=TOKEN_URI, name="adc")))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    assert await cache.token(make_key("")) == "token-1"
    assert endpoint.calls == 1


async def test_missing_application_default_credentials_say_what_to_set(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(AuthenticationError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        await cache.token(make_key(""))


def test_every_mint_and_failed_mint_is_told_to_the_observers(cache, endpoint, sa_json, monkeypatch):
    from routing import observers

    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(observers, "TOKEN_MINT_OBSERVERS", [lambda key, ok: seen.append((key, ok)), lambda *_: 1 / 0])
    cache.token_sync(make_key(sa_json))
    endpoint.fail_with = (400, {"error": "invalid_grant"})
    with pytest.raises(AuthenticationError):
        cache.token_sync(make_key(sa_json, key_id="k2"))
    assert seen == [("Key one", True), ("Key one", False)]

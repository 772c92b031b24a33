"""routing.listing: the seed 003 merge, the paginated List Models client and the key check."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import transport
from routing.config import KeyConfig
from routing.errors import RoutingError
from routing.list_models import alist_custom_models, check_key
from routing.listing import ModelEntry, custom_model_from_entry, merge_models

PROJECT = "demo-project"
REGION = "us-central1"


def tuned(endpoint_id: str, *, model_id: str | None = None, display: str = "", deployed: bool = True,
          created: str = "2025-01-02T03:04:05.123456789Z") -> dict:
    """A custom model resource as Vertex's List Models returns it."""
    model_id = model_id or f"m{endpoint_id}"
    model = {
        "name": f"projects/123/locations/{REGION}/models/{model_id}",
        "displayName": display or f"tuned {endpoint_id}",
        "description": f"fine-tuned {endpoint_id}",
        "createTime": created,
    }
    if deployed:
        model["deployedModels"] = [
            {"endpoint": f"projects/123/locations/{REGION}/endpoints/{endpoint_id}", "deployedModelId": "1"}
        ]
    return model


def ids(entries: list[ModelEntry]) -> list[str]:
    return [e.id for e in entries]


# --- the merge (pure) -------------------------------------------------------------------------


def test_seed_example_1_lists_only_the_custom_models_under_their_aliases() -> None:
    custom = [tuned("1234567890", display="Gemini FT"), tuned("9876543210", display="Claude FT")]
    deployments = {"my-gemini-ft": "1234567890", "my-claude-ft": "9876543210"}

    entries = merge_models(custom, deployments, [])

    assert [(e.id, e.source, e.endpoint_id, e.target) for e in entries] == [
        ("my-gemini-ft", "custom", "1234567890", "1234567890"),
        ("my-claude-ft", "custom", "9876543210", "9876543210"),
    ]
    assert entries[0].display_name == "Gemini FT"
    assert entries[0].description == "fine-tuned 1234567890"
    assert entries[0].created == 1735787045


def test_seed_example_2_lists_custom_models_and_the_foundation_deployments() -> None:
    custom = [tuned("555")]
    deployments = {"gemini-2.0-flash": "gemini-2.0-flash", "claude-3-5-sonnet": "claude-3-5-sonnet-v2@20241022"}

    entries = merge_models(custom, deployments, [])

    assert [(e.id, e.source, e.target) for e in entries] == [
        ("555", "custom", "555"),
        ("gemini-2.0-flash", "deployment", "gemini-2.0-flash"),
        ("claude-3-5-sonnet", "deployment", "claude-3-5-sonnet-v2@20241022"),
    ]
    assert entries[1].display_name == "Gemini 2.0 Flash"
    assert entries[2].display_name == "Claude 3.5 Sonnet v2"  # the catalog's name of the target


def test_seed_example_3_allowed_models_exclude_the_other_deployments() -> None:
    deployments = {
        "gemini-2.0-flash": "gemini-2.0-flash",
        "claude-3-5-sonnet": "claude-3-5-sonnet-v2@20241022",
        "gemini-2.5-pro": "gemini-2.5-pro",
    }

    entries = merge_models([], deployments, ["gemini-2.0-flash", "claude-3-5-sonnet"])

    assert ids(entries) == ["gemini-2.0-flash", "claude-3-5-sonnet"]
    assert {e.source for e in entries} == {"deployment"}


def test_a_non_empty_allowed_list_restricts_custom_models_too() -> None:
    custom = [tuned("111"), tuned("222"), tuned("333")]
    deployments = {"my-ft": "222"}

    entries = merge_models(custom, deployments, ["my-ft", "333"])

    assert [(e.id, e.source) for e in entries] == [("my-ft", "custom"), ("333", "custom")]


def test_allowed_models_not_yet_listed_are_added_with_readable_names() -> None:
    entries = merge_models([], {"gemini-2.0-flash": "gemini-2.0-flash"}, ["gemini-2.0-flash", "claude_3_opus"])

    assert [(e.id, e.source, e.display_name) for e in entries] == [
        ("gemini-2.0-flash", "deployment", "Gemini 2.0 Flash"),
        ("claude_3_opus", "allowed", "Claude 3 Opus"),
    ]


def test_an_allowed_endpoint_id_keeps_the_aliased_custom_model_without_listing_it_twice() -> None:
    entries = merge_models([tuned("1234567890")], {"my-ft": "1234567890"}, ["1234567890"])

    assert [(e.id, e.endpoint_id) for e in entries] == [("my-ft", "1234567890")]


def test_duplicates_are_removed_wherever_they_come_from() -> None:
    custom = [tuned("777"), tuned("777", model_id="other"), tuned("888")]
    deployments = {"777": "gemini-2.0-flash", "gemini-2.0-flash": "gemini-2.0-flash", "x": "888", "y": "888"}

    entries = merge_models(custom, deployments, ["gemini-2.0-flash", "x", "777", "y", "z"])

    assert ids(entries) == ["777", "x", "gemini-2.0-flash", "y", "z"]
    assert len(ids(entries)) == len(set(ids(entries)))
    # The second alias of endpoint 888 stays callable, as a deployment entry pointing at the endpoint.
    y = next(e for e in entries if e.id == "y")
    assert (y.source, y.target, y.endpoint_id) == ("deployment", "888", "888")


def test_undeployed_custom_models_are_not_listed() -> None:
    entries = merge_models([tuned("1", deployed=False), tuned("2")], {}, [])

    assert ids(entries) == ["2"]


def test_a_deployment_whose_endpoint_vertex_did_not_return_is_still_listed() -> None:
    entries = merge_models([], {"my-ft": "4242"}, [])

    assert [(e.id, e.source, e.endpoint_id) for e in entries] == [("my-ft", "deployment", "4242")]


def test_snake_case_resources_as_in_the_seed_are_understood() -> None:
    model = {
        "name": "projects/p/locations/r/models/abc",
        "display_name": "Tuned",
        "deployed_models": [{"endpoint": "projects/p/locations/r/endpoints/99"}],
    }

    entries = merge_models([model], {}, [])

    assert [(e.id, e.display_name, e.created) for e in entries] == [("99", "Tuned", None)]


def test_a_custom_model_without_display_name_gets_a_readable_one() -> None:
    model = tuned("1")
    model["displayName"] = ""

    assert merge_models([model], {"my-tuned_model": "1"}, [])[0].display_name == "My Tuned_model"


def test_entries_round_trip_through_dicts_and_stored_custom_entries_merge_again() -> None:
    entries = merge_models([tuned("1234567890", display="FT")], {"my-ft": "1234567890", "g": "gemini-2.0-flash"}, [])
    stored = [e.as_dict() for e in entries]

    assert [ModelEntry.from_dict(d) for d in stored] == entries
    rebuilt = [custom_model_from_entry(d) for d in stored if d["source"] == "custom"]
    assert merge_models(rebuilt, {"my-ft": "1234567890", "g": "gemini-2.0-flash"}, []) == entries


alias_st = st.text(alphabet="abc-_", min_size=1, max_size=4)


@settings(max_examples=150, deadline=None)
@given(
    endpoint_ids=st.lists(st.sampled_from(["1", "2", "3", "4"]), max_size=6),
    deployments=st.dictionaries(alias_st, st.one_of(alias_st, st.sampled_from(["1", "2", "3", "9"])), max_size=6),
    allowed=st.lists(st.one_of(alias_st, st.sampled_from(["1", "2", "3"])), max_size=5),
)
def test_the_merge_never_repeats_an_id_and_honours_the_allowed_list(
    endpoint_ids: list[str], deployments: dict[str, str], allowed: list[str]
) -> None:
    custom = [tuned(e, model_id=f"m{i}") for i, e in enumerate(endpoint_ids)]

    entries = merge_models(custom, deployments, allowed)

    assert len(ids(entries)) == len(set(ids(entries)))
    if allowed:
        assert all(e.id in allowed or e.endpoint_id in allowed for e in entries)
        for model_id in allowed:  # rule 3: every allowed entry is listed one way or another
            assert any(model_id in (e.id, e.endpoint_id) for e in entries)
    else:
        assert set(deployments) <= set(ids(entries))
        for e in set(endpoint_ids):
            assert any(x.endpoint_id == e for x in entries)


# --- the client, against a mocked transport (one seam) ------------------------------------------


class FakeTokens:
    def __init__(self, *, fail: Exception | None = None) -> None:
        self.fail = fail
        self.invalidated = 0
        self.minted = 0

    async def token(self, key: KeyConfig) -> str:
        if self.fail:
            raise self.fail
        self.minted += 1
        return "tok"

    def token_sync(self, key: KeyConfig) -> str:
        return "tok"

    def invalidate(self, key: KeyConfig) -> None:
        self.invalidated += 1


KEY = KeyConfig(key_id="1", name="k", project_id=PROJECT, region=REGION)
BASE = "http://vertex.test"


def paged_handler(total: int, *, fail_on_page: int | None = None, status: int = 503, seen: list | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken") or "0"
        page = int(token)
        if seen is not None:
            seen.append(dict(request.url.params))
        assert request.headers["authorization"] == "Bearer tok"
        assert request.url.path == f"/v1/projects/{PROJECT}/locations/{REGION}/models"
        if fail_on_page is not None and page + 1 == fail_on_page:
            return httpx.Response(status, json={"error": {"code": status, "status": "UNAVAILABLE", "message": "busy"}})
        size = int(request.url.params["pageSize"])
        start = page * size
        models = [tuned(str(10_000 + i)) for i in range(start, min(start + size, total))]
        body: dict = {"models": models}
        if start + size < total:
            body["nextPageToken"] = str(page + 1)
        return httpx.Response(200, content=json.dumps(body))

    return handler


async def test_every_page_is_fetched_with_page_size_100() -> None:
    seen: list[dict] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(paged_handler(1234, seen=seen))) as client:
        models = await alist_custom_models(KEY, base_url=BASE, tokens=FakeTokens(), client=client)

    assert len(models) == 1234
    assert len({m["name"] for m in models}) == 1234
    assert len(seen) == 13
    assert {p["pageSize"] for p in seen} == {"100"}
    assert "pageToken" not in seen[0] and seen[1]["pageToken"] == "1"


async def test_a_failing_page_raises_instead_of_returning_a_half_list() -> None:
    handler = paged_handler(1234, fail_on_page=7, status=503)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(RoutingError) as info:
            await alist_custom_models(KEY, base_url=BASE, tokens=FakeTokens(), client=client, retries=0)

    assert "page 7" in info.value.user_message
    assert "503" in info.value.user_message and "busy" in info.value.user_message
    assert info.value.retryable


async def test_a_transient_page_failure_is_retried_and_the_list_completes() -> None:
    calls = {"n": 0}
    inner = paged_handler(250)

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return httpx.Response(429, headers={"Retry-After": "0"}, json={"error": {"message": "slow down"}})
        return inner(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        models = await alist_custom_models(KEY, base_url=BASE, tokens=FakeTokens(), client=client, retries=2)

    assert len(models) == 250
    assert calls["n"] == 4


async def test_a_refused_token_is_dropped_and_not_retried() -> None:
    tokens = FakeTokens()
    handler = paged_handler(10, fail_on_page=1, status=403)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(RoutingError) as info:
            await alist_custom_models(KEY, base_url=BASE, tokens=tokens, client=client, retries=2)

    assert info.value.upstream_status == 403
    assert tokens.invalidated == 1 and tokens.minted == 1


async def test_malformed_json_and_looping_page_tokens_are_errors() -> None:
    def bad_json(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"{not json")

    def looping(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"models": [], "nextPageToken": "same"})

    for handler, words in ((bad_json, "malformed JSON"), (looping, "repeated a page token")):
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            with pytest.raises(RoutingError, match=words):
                await alist_custom_models(KEY, base_url=BASE, tokens=FakeTokens(), client=client)


async def test_check_key_reports_a_token_failure_without_calling_list_models() -> None:
    calls: list = []
    tokens = FakeTokens(fail=RoutingError("Could not mint a token: invalid_grant"))
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: calls.append(r))) as client:
        check = await check_key(KEY, base_url=BASE, tokens=tokens, client=client)

    assert (check.ok, check.token_ok, check.list_status) == (False, False, None)
    assert check.token_error == "Could not mint a token: invalid_grant" == check.error
    assert calls == []


async def test_check_key_reports_status_latency_and_count() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(paged_handler(150))) as client:
        check = await check_key(KEY, base_url=BASE, tokens=FakeTokens(), client=client)

    assert (check.ok, check.token_ok, check.list_status, check.model_count, check.pages) == (True, True, 200, 150, 2)
    assert check.list_latency_ms is not None and check.list_latency_ms >= 0
    assert len(check.custom_models) == 150
    assert "custom_models" not in check.as_dict()


# --- against the emulator over real HTTP ---------------------------------------------------------


@pytest.fixture
async def closed_transport():  # type: ignore[no-untyped-def]
    """Close this test loop's pooled client afterwards (its loop ends with the test)."""
    yield
    await transport.aclose()


def emulator_key(vertex, **kw) -> KeyConfig:  # type: ignore[no-untyped-def]
    return KeyConfig(
        key_id=kw.pop("key_id", "emu"),
        name="emulator",
        project_id=vertex.project_id,
        region=kw.pop("region", REGION),
        credentials=kw.pop("credentials", vertex.service_account_json),
        allowed_token_uris=(vertex.token_uri,),
        **kw,
    )


def emulator_tuned(endpoint_id: str, project: str = PROJECT) -> dict:
    return {
        "name": f"projects/{project}/locations/{REGION}/models/m{endpoint_id}",
        "displayName": f"Tuned {endpoint_id}",
        "createTime": "2025-01-02T03:04:05Z",
        "deployedModels": [{"endpoint": f"projects/{project}/locations/{REGION}/endpoints/{endpoint_id}",
                            "deployedModelId": f"d{endpoint_id}"}],
    }


async def test_seed_example_1_against_the_emulator(vertex, closed_transport) -> None:  # type: ignore[no-untyped-def]
    vertex.set_custom_models(PROJECT, REGION, [emulator_tuned("1234567890"), emulator_tuned("9876543210")])
    deployments = {"my-gemini-ft": "1234567890", "my-claude-ft": "9876543210"}

    custom = await alist_custom_models(emulator_key(vertex), base_url=vertex.base_url)
    entries = merge_models(custom, deployments, [])

    assert [(e.id, e.source, e.endpoint_id) for e in entries] == [
        ("my-gemini-ft", "custom", "1234567890"),
        ("my-claude-ft", "custom", "9876543210"),
    ]


async def test_1234_custom_models_over_13_pages_are_all_listed_by_the_emulator(vertex, closed_transport) -> None:  # type: ignore[no-untyped-def]
    vertex.set_custom_models(PROJECT, REGION, [emulator_tuned(str(10**9 + i)) for i in range(1234)])
    vertex.clear_requests()

    custom = await alist_custom_models(emulator_key(vertex), base_url=vertex.base_url)
    entries = merge_models(custom, {"gemini-2.0-flash": "gemini-2.0-flash"}, [])

    pages = [r for r in vertex.requests("/models") if r["method"] == "GET"]
    assert len(custom) == 1234
    assert len(pages) == 13
    assert len(entries) == 1235 and len({e.id for e in entries}) == 1235


async def test_check_key_against_the_emulator_mints_a_token_and_counts_models(vertex, closed_transport) -> None:  # type: ignore[no-untyped-def]
    vertex.set_custom_models(PROJECT, REGION, [emulator_tuned("1"), emulator_tuned("2")])

    started = time.time()
    check = await check_key(emulator_key(vertex, key_id="emu-check"), base_url=vertex.base_url)

    assert check.ok and check.token_ok, check.error
    assert (check.list_status, check.model_count) == (200, 2)
    assert check.checked_at >= started


async def test_check_key_names_an_unknown_service_account(vertex, service_account_factory, closed_transport) -> None:  # type: ignore[no-untyped-def]
    stranger = service_account_factory(name="stranger", token_uri=vertex.token_uri)

    check = await check_key(
        emulator_key(vertex, key_id="emu-stranger", credentials=json.dumps(stranger)), base_url=vertex.base_url
    )

    assert not check.ok and not check.token_ok
    assert check.token_error and "BEGIN PRIVATE KEY" not in check.token_error
    assert check.list_status is None

"""Calls through the gateway's surfaces are priced from the usage Vertex reported and the region
served, and a spent budget refuses the next call before anything reaches the emulator.

Expected costs are worked out here by hand from gateway_admin/data/prices.json (version
2025-10-15), per million tokens: gemini-2.0-flash $0.15 in / $0.60 out; claude-sonnet-4-5 $3 in /
$15 out, +10% on a regional endpoint; text-embedding-005 $0.10 in; imagen-3.0-generate-002 $0.04
per image."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway_admin.models import RequestLog
from gateway_admin.services.request_log import request_log_flush

pytestmark = pytest.mark.django_db(transaction=True)

MILLION = Decimal(1_000_000)
PROMPT = [{"role": "user", "content": "Say hello in a few words"}]


def _row(**filters) -> RequestLog:
    assert request_log_flush(10)
    (row,) = RequestLog.objects.filter(**filters)
    return row


def _cost(row: RequestLog, price_in: str, price_out: str, *, premium: bool = False) -> Decimal:
    cost = (Decimal(row.input_tokens or 0) * Decimal(price_in) + Decimal(row.output_tokens or 0) * Decimal(price_out)) / MILLION
    if premium:
        cost += cost / 10
    return cost.quantize(Decimal("0.000000001"))


def test_a_gemini_chat_is_priced_from_its_tokens(live_v1, demo_key, developer_user, api_token_factory):
    client = live_v1.openai(api_token_factory(developer_user))
    client.chat.completions.create(model="gemini-2.0-flash", messages=PROMPT)
    row = _row(model="gemini-2.0-flash")
    assert row.input_tokens and row.output_tokens
    assert row.cost_usd == _cost(row, "0.15", "0.60")
    assert row.price_version == "table:2025-10-15"


def test_claude_costs_ten_percent_more_on_a_regional_endpoint_than_on_global(
        live_v1, demo_key, admin_user, emulator, developer_user, api_token_factory):
    from gateway_admin.services.keys import key_create

    key_create(actor=admin_user, name="global", config={
        "project_id": emulator.project_id, "region": "global", "auth_credentials": emulator.service_account_json,
        "deployments": {"sonnet-global": "claude-sonnet-4-5@20250929"}})
    client = live_v1.openai(api_token_factory(developer_user))
    client.chat.completions.create(model="claude-sonnet-4-5", messages=PROMPT)  # demo key: us-central1
    client.chat.completions.create(model="sonnet-global", messages=PROMPT)

    regional, on_global = _row(model="claude-sonnet-4-5"), _row(model="sonnet-global")
    assert (regional.region, on_global.region) == ("us-central1", "global")
    assert regional.cost_usd == _cost(regional, "3", "15", premium=True)
    assert on_global.cost_usd == _cost(on_global, "3", "15")


def test_an_embedding_and_an_imagen_image_are_priced(live_v1, media_key, developer_user, api_token_factory):
    client = live_v1.openai(api_token_factory(developer_user))
    client.embeddings.create(model="text-embedding-005", input="price me")
    client.images.generate(model="imagen-3", prompt="a lighthouse", n=2)

    embedding = _row(model="text-embedding-005")
    assert embedding.input_tokens and embedding.cost_usd == _cost(embedding, "0.10", "0")
    image = _row(model="imagen-3")
    assert image.cost_usd == Decimal("0.08")  # two images at $0.04


def test_a_token_over_its_budget_is_refused_before_anything_reaches_vertex(
        live_v1, demo_key, admin_user, developer_user, api_token_factory, vertex):
    import openai

    from gateway_admin.models import ApiToken
    from gateway_admin.services.budgets import budget_create

    raw = api_token_factory(developer_user, name="budgeted")
    token = ApiToken.objects.get(name="budgeted")
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.05", period="day")
    client = live_v1.openai(raw)
    long_prompt = [{"role": "user", "content": "Write a long story about the sea. " * 50}]
    answered = 0
    with pytest.raises(openai.RateLimitError) as refused:
        for _ in range(200):
            client.chat.completions.create(model="claude-sonnet-4-5", messages=long_prompt, max_tokens=512)
            answered += 1
    assert answered >= 1
    error = refused.value.body
    assert error["type"] == "insufficient_quota" and error["code"] == "insufficient_quota"
    assert "budget" in error["message"] and "0.05" in error["message"]
    assert refused.value.response.headers.get("Retry-After")

    upstream = len(vertex.requests(":rawPredict"))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="claude-sonnet-4-5", messages=long_prompt, max_tokens=512)
    assert len(vertex.requests(":rawPredict")) == upstream  # nothing left for the refused call
    assert request_log_flush(10)
    spent = sum(r.cost_usd for r in RequestLog.objects.filter(token=token, status=200))
    assert spent >= Decimal("0.05")
    refusals = RequestLog.objects.filter(token=token, status=429)
    assert refusals.count() == 2 and all(r.route == [] for r in refusals)


# -- the native surfaces ---------------------------------------------------------------------------

SYSTEM = [{"type": "text", "text": "You are a careful assistant. " * 40, "cache_control": {"type": "ephemeral"}}]


def test_a_claude_call_with_cache_writes_then_reads_is_priced_per_part(live_v1, demo_key, developer_user,
                                                                       api_token_factory):
    """claude-sonnet-4-5 on us-central1 (+10%): $3 input, $3.75 cache write, $0.30 cache read, $15 output."""
    import anthropic

    client = anthropic.Anthropic(api_key=api_token_factory(developer_user), base_url=live_v1.url, max_retries=0)
    for _ in range(2):
        client.messages.create(model="claude-sonnet-4-5", max_tokens=64, system=SYSTEM,
                               messages=[{"role": "user", "content": "Say hello"}])
    assert request_log_flush(10)
    wrote, read = RequestLog.objects.filter(surface="anthropic").order_by("created_at")
    assert wrote.cache_write_tokens and not wrote.cache_read_tokens
    assert read.cache_read_tokens == wrote.cache_write_tokens and not read.cache_write_tokens

    def by_hand(row: RequestLog) -> Decimal:
        plain = row.input_tokens - (row.cache_read_tokens or 0) - (row.cache_write_tokens or 0)
        cost = (Decimal(plain) * 3 + Decimal(row.cache_write_tokens or 0) * Decimal("3.75")
                + Decimal(row.cache_read_tokens or 0) * Decimal("0.30") + Decimal(row.output_tokens) * 15) / MILLION
        return (cost + cost / 10).quantize(Decimal("0.000000001"))

    assert wrote.cost_usd == by_hand(wrote) and read.cost_usd == by_hand(read)
    assert read.cost_usd < wrote.cost_usd


def _spent_budget(admin_user, developer_user, api_token_factory, name: str) -> str:
    """A token whose day budget is already used up."""
    from django.utils import timezone

    from gateway_admin.models import ApiToken
    from gateway_admin.services.budgets import budget_create
    from gateway_admin.usage import Cost, Usage
    from gateway_admin.usage.spend import spend_record

    raw = api_token_factory(developer_user, name=name)
    token = ApiToken.objects.get(name=name)
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.05", period="day")
    spend_record(token_id=token.pk, user_id=developer_user.pk, key_id=None, model="claude-sonnet-4-5",
                 target="claude-sonnet-4-5@20250929", region="global", usage=Usage(input_tokens=10),
                 cost=Cost(Decimal("0.06"), "table:2025-10-15"), at=timezone.now())
    return raw


def test_a_spent_budget_is_refused_on_messages_and_the_pass_through_before_vertex(
        live_v1, demo_key, admin_user, developer_user, api_token_factory, vertex):
    raw = _spent_budget(admin_user, developer_user, api_token_factory, "native-budget")
    before = len(vertex.requests("publishers/"))

    messages = live_v1.http.post("/v1/messages", headers={"x-api-key": raw, "anthropic-version": "2023-06-01"},
                                 json={"model": "claude-sonnet-4-5", "max_tokens": 16,
                                       "messages": [{"role": "user", "content": "hi"}]})
    assert messages.status_code == 429
    body = messages.json()
    assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"
    assert "budget" in body["error"]["message"] and "0.05" in body["error"]["message"]

    path = ("/vertex/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash"
            ":generateContent")
    passthrough = live_v1.http.post(path, headers={"Authorization": f"Bearer {raw}"},
                                    json={"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})
    assert passthrough.status_code == 429
    error = passthrough.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED" and "budget" in error["message"]
    assert len(vertex.requests("publishers/")) == before  # nothing reached Vertex

"""call_cost: hand-checked arithmetic from the shipped table, regional premium, caches, media, overrides."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from gateway_admin.usage import Cost, Usage, call_cost
from gateway_admin.usage.pricing import TABLE, TABLE_VERSION


def usd(s: str) -> Decimal:
    return Decimal(s)


@pytest.fixture(autouse=True)
def _no_overrides(db):
    from gateway_admin.usage.pricing import prices_invalidate

    prices_invalidate()
    yield
    prices_invalidate()


def test_a_gemini_call_costs_input_and_output_at_the_table_prices():
    # gemini-2.0-flash: $0.15 in, $0.60 out per million -> 1000*0.15/1e6 + 500*0.60/1e6
    cost = call_cost(target="gemini-2.0-flash-001", region="us-central1",
                     usage=Usage(input_tokens=1000, output_tokens=500))
    assert cost == Cost(usd=usd("0.00045"), price_version=TABLE_VERSION)


def test_gemini_2_5_pro_above_200k_input_tokens_uses_the_long_context_prices():
    short = call_cost(target="gemini-2.5-pro", region="global", usage=Usage(input_tokens=100_000, output_tokens=1000))
    long = call_cost(target="gemini-2.5-pro", region="global", usage=Usage(input_tokens=250_000, output_tokens=1000))
    assert short.usd == usd("0.135")  # 100k * 1.25/1e6 + 1000 * 10/1e6
    assert long.usd == usd("0.64")  # 250k * 2.50/1e6 + 1000 * 15/1e6


def test_claude_sonnet_4_5_costs_ten_percent_more_on_a_regional_endpoint():
    usage = Usage(input_tokens=10_000, output_tokens=2_000)
    on_global = call_cost(target="claude-sonnet-4-5@20250929", region="global", usage=usage)
    regional = call_cost(target="claude-sonnet-4-5@20250929", region="us-east5", usage=usage)
    assert on_global.usd == usd("0.06")  # 10k*3/1e6 + 2k*15/1e6
    assert regional.usd == usd("0.066")


def test_older_claude_models_cost_the_same_on_regional_endpoints():
    usage = Usage(input_tokens=10_000, output_tokens=2_000)
    assert call_cost(target="claude-sonnet-4@20250514", region="us-east5", usage=usage).usd == usd("0.06")


def test_claude_cache_reads_and_writes_are_priced_apart_from_plain_input():
    # claude-3-5-haiku: in 0.80, read 0.08, write 1.00, out 4.00 per million. 12k input tokens of
    # which 8k read from the cache and 2k written to it -> 2k plain.
    usage = Usage(input_tokens=12_000, output_tokens=1_000, cache_read_tokens=8_000, cache_write_tokens=2_000)
    cost = call_cost(target="claude-3-5-haiku@20241022", region="us-east5", usage=usage)
    assert cost.usd == usd("0.0016") + usd("0.00064") + usd("0.002") + usd("0.004")


def test_claude_sonnet_4_5_with_caches_on_a_regional_endpoint_adds_the_premium_to_every_part():
    usage = Usage(input_tokens=5_000, output_tokens=100, cache_read_tokens=3_000, cache_write_tokens=1_000)
    base = usd("0.003") + usd("0.0009") + usd("0.00375") + usd("0.0015")
    assert call_cost(target="claude-sonnet-4-5", region="global", usage=usage).usd == base
    assert call_cost(target="claude-sonnet-4-5", region="europe-west1", usage=usage).usd == base * usd("1.1")


def test_an_embedding_costs_its_input_tokens():
    cost = call_cost(target="gemini-embedding-001", region="us-central1", usage=Usage(input_tokens=2_000))
    assert cost.usd == usd("0.0003")  # 2000 * 0.15 / 1e6


def test_imagen_is_priced_per_image_and_veo_per_second():
    assert call_cost(target="imagen-4.0-generate-001", region="us-central1", usage=Usage(images=2)).usd == usd("0.08")
    assert call_cost(target="veo-3.0-generate-001", region="us-central1",
                     usage=Usage(video_seconds=8)).usd == usd("3.20")


@pytest.mark.parametrize("target", ["1234567890", "meta/llama-3.1-8b-instruct-maas", "gemini-9-ultra"])
def test_a_model_without_a_price_has_no_cost_not_zero(target):
    cost = call_cost(target=target, region="us-central1", usage=Usage(input_tokens=10, output_tokens=10))
    assert cost.usd is None
    assert cost.price_version == "none"


def test_every_row_names_its_source_and_date():
    for row in TABLE.values():
        assert row.source.startswith("https://") and row.as_of, row.model_id


def test_an_override_applies_from_its_effective_date_and_names_itself(admin_user):
    from gateway_admin.services.prices import price_override_create

    now = timezone.now()
    override = price_override_create(actor=admin_user, model_id="gemini-2.0-flash",
                                     effective_from=now - timedelta(days=1), output="1.00")
    usage = Usage(input_tokens=1000, output_tokens=500)
    cost = call_cost(target="gemini-2.0-flash", region="us-central1", usage=usage)
    # input keeps the table's 0.15; output is the override's 1.00: 0.00015 + 0.0005
    assert cost == Cost(usd=usd("0.00065"), price_version=f"override:{override.pk}")
    before = call_cost(target="gemini-2.0-flash", region="us-central1", usage=usage, at=now - timedelta(days=2))
    assert before == Cost(usd=usd("0.00045"), price_version=TABLE_VERSION)


def test_an_override_can_price_a_model_the_table_lacks(admin_user):
    from gateway_admin.services.prices import price_override_create

    o = price_override_create(actor=admin_user, model_id="meta/llama-3.1-8b-instruct-maas",
                              effective_from=timezone.now() - timedelta(minutes=1), input="0.20", output="0.20")
    cost = call_cost(target="meta/llama-3.1-8b-instruct-maas", region="us-central1",
                     usage=Usage(input_tokens=1_000_000, output_tokens=500_000))
    assert cost == Cost(usd=usd("0.3"), price_version=f"override:{o.pk}")


@pytest.mark.parametrize("target", ["claude-sonnet-4-5@20250929", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929",
                                    "claude-sonnet-4-5-20250929[1m]"])
def test_vertex_and_anthropic_ids_of_a_claude_model_find_the_same_price(target):
    assert call_cost(target=target, region="global", usage=Usage(input_tokens=100_000)).usd == usd("0.3")

"""Region failover respects data residency: KeyConfig.region_failover "any" (default), "geography", "off"."""

from __future__ import annotations

import pytest

from routing.catalog import Catalog, LearnedAvailability
from routing.config import ConfigError, KeyConfig
from routing.errors import UpstreamServerError
from routing.residency import allowed_failover, residency_zone
from routing.retry import RetryPolicy
from tests.routing.test_router import ASK, GEMINI_ANSWER, Upstream, key, router

EU_REGIONS = {"eu", "europe-central2", "europe-north1", "europe-southwest1", "europe-west1", "europe-west3",
              "europe-west4", "europe-west8", "europe-west9", "europe-west10", "europe-west12"}
# Every region of the catalog that serves the model may be tried, so failures show the whole reach.
WIDE = RetryPolicy(backoff_initial=0.0001, backoff_max=0.0005, max_retries=0, max_failovers=50,
                   max_failover_regions=50)


async def regions_tried(k: KeyConfig, policy: RetryPolicy = WIDE) -> list[str]:
    upstream = Upstream((503, {}))
    with pytest.raises(UpstreamServerError):
        await router(k, upstream=upstream, policy=policy).chat(ASK)
    return upstream.regions()


def test_the_default_is_any_as_the_design_contract_puts_availability_first():
    assert KeyConfig(key_id="k", name="k", project_id="demo-project", region="us-central1").region_failover \
        == "any"


def test_an_unknown_mode_is_refused_naming_the_field():
    with pytest.raises(ConfigError) as caught:
        key(region_failover="anywhere")
    assert caught.value.field == "region_failover" and "geography, any, off" in caught.value.message


async def test_a_us_key_fails_over_only_within_the_united_states():
    tried = await regions_tried(key(region="us-central1"))
    assert tried[0] == "us-central1" and len(tried) > 2
    assert all(r.startswith("us-") for r in tried)
    assert "global" not in tried


async def test_an_eu_region_key_stays_in_the_european_union():
    tried = await regions_tried(key(region="europe-west4"))
    assert tried[0] == "europe-west4" and "europe-west1" in tried
    assert set(tried) <= EU_REGIONS
    # Same "Europe" geography in regions.json, but outside the EU: London and Zurich are not used.
    assert "europe-west2" not in tried and "europe-west6" not in tried and "global" not in tried


async def test_the_eu_multi_region_fails_over_to_eu_member_regions_only():
    tried = await regions_tried(key(region="eu"))
    assert tried[0] == "eu" and len(tried) > 1 and set(tried) <= EU_REGIONS


async def test_a_tokyo_key_never_leaves_japan_even_within_asia_pacific():
    tried = await regions_tried(key(region="asia-northeast1"))
    assert set(tried) == {"asia-northeast1"}


async def test_a_global_key_may_fail_over_to_any_region_that_serves_the_model():
    tried = await regions_tried(key(region="global"))
    assert tried[0] == "global"
    assert {"us-east5", "europe-west4", "asia-northeast1"} <= set(tried)


async def test_any_tries_global_first_then_anywhere():
    tried = await regions_tried(key(region="europe-west4", region_failover="any"))
    assert tried[:2] == ["europe-west4", "global"]
    assert any(r.startswith("us-") for r in tried) and "europe-west2" in tried


async def test_off_keeps_every_attempt_in_the_configured_region():
    tried = await regions_tried(key(region="europe-west4", region_failover="off"),
                                policy=RetryPolicy(backoff_initial=0.0001, max_retries=1))
    assert tried == ["europe-west4", "europe-west4"]


async def test_geography_still_lets_another_key_answer():
    upstream = Upstream((503, {}), (503, {}), (503, {}), (200, GEMINI_ANSWER))
    policy = RetryPolicy(backoff_initial=0.0001, max_retries=0)
    busy = key("busy", region="asia-northeast1", weight=10**9)
    spare = key("spare", region="europe-west4", weight=1)
    result = await router(busy, spare, upstream=upstream, policy=policy).chat(ASK)
    assert result.key_id == "spare" and upstream.regions()[:2] == ["asia-northeast1", "europe-west4"]
    assert set(upstream.regions()[1:]) <= EU_REGIONS


def test_residency_zones_follow_countries_and_the_eu():
    assert residency_zone("us") == residency_zone("us-east5") == "United States"
    assert residency_zone("eu") == residency_zone("europe-west9") == "European Union"
    assert residency_zone("europe-west2") == "United Kingdom"
    assert residency_zone("asia-northeast2") == "Japan" != residency_zone("asia-south1")
    assert residency_zone("global") is None
    assert residency_zone("mars-north1") == "region mars-north1"  # unknown: a zone of its own


def test_allowed_failover_filters_in_order():
    regions = ["global", "us-east5", "europe-west1", "us-east1"]
    assert allowed_failover("us-central1", regions, "geography") == ["us-east5", "us-east1"]
    assert allowed_failover("us-central1", regions, "any") == regions
    assert allowed_failover("us-central1", regions, "off") == []
    assert allowed_failover("global", regions[1:], "geography") == regions[1:]


def test_the_catalog_orders_then_filters_failover_regions():
    catalog = Catalog(learned=LearnedAvailability())
    assert catalog.failover_regions("gemini-2.0-flash", "europe-west4", mode="geography")[:2] == [
        "europe-west9", "europe-west3"]
    assert catalog.failover_regions("gemini-2.0-flash", "europe-west4")[0] == "global"

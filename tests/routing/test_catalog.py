"""The availability catalog: regions, families, names, and where each model is served."""

from __future__ import annotations

import threading

import pytest

from routing.catalog import (
    DEFAULT_CATALOG,
    FAMILIES,
    REGIONS,
    Catalog,
    LearnedAvailability,
    base_model,
    display_name,
    family_of,
    is_known_region,
    region_groups,
)
from routing.config import ConfigError

# Every region named in the seed 000 tables (Google and partner models).
SEED_REGIONS = [
    "us-east5", "us-south1", "us-central1", "us-west4", "us-east1", "us-east4", "us-west1",
    "northamerica-northeast1", "southamerica-east1",
    "europe-west4", "europe-west9", "europe-west2", "europe-west3", "europe-west1", "europe-west6",
    "europe-southwest1", "europe-west8", "europe-north1", "europe-central2",
    "asia-northeast1", "australia-southeast1", "asia-southeast1", "asia-northeast3", "asia-east1",
    "asia-east2", "asia-south1", "me-central2", "me-central1", "me-west1", "global",
]


def catalog(overrides=None) -> Catalog:
    """A catalog with its own memory of 404s, so tests do not teach each other."""
    return Catalog(overrides, learned=LearnedAvailability())


# --- regions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("region", [*SEED_REGIONS, "us", "eu", "us-west2", "europe-west10", "me-central1", "africa-south1"])
def test_it_knows_every_seed_region_and_the_multi_regions(region):
    assert is_known_region(region)


@pytest.mark.parametrize("region", ["US-CENTRAL1", "us-central1 ", "eu-west1", "", "us-central"])
def test_it_does_not_know_a_region_google_does_not_publish(region):
    assert not is_known_region(region)


def test_every_region_has_a_label_and_a_geography():
    assert len({r.id for r in REGIONS}) == len(REGIONS)
    assert all(r.label and r.geography for r in REGIONS)


def test_region_groups_list_every_region_once_global_first():
    groups = region_groups()
    names = [name for name, _ in groups]
    assert names[:3] == ["Global", "Multi-region", "United States"]
    assert {"Canada", "South America", "Europe", "Asia Pacific", "Middle East", "Africa"} <= set(names)
    grouped = [r.id for _, regions in groups for r in regions]
    assert sorted(grouped) == sorted(r.id for r in REGIONS)
    assert dict(groups)["Multi-region"][0].id == "us"


# --- families -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("target", "family"),
    [
        ("gemini-2.0-flash", "gemini"),
        ("gemini-2.5-flash-image-preview", "gemini"),
        ("claude-sonnet-4-5@20250929", "anthropic"),
        ("claude-3-5-haiku@20241022", "anthropic"),
        ("mistral-large-2411", "mistral"),
        ("mistral-ocr-2505", "mistral"),
        ("codestral-2501", "mistral"),
        ("meta/llama-3.3-70b-instruct-maas", "openai_compat"),
        ("deepseek-ai/deepseek-r1-0528-maas", "openai_compat"),
        ("qwen/qwen3-235b-a22b-instruct-2507-maas", "openai_compat"),
        ("openai/gpt-oss-120b-maas", "openai_compat"),
        ("1234567890", "tuned"),
        ("gemini-embedding-001", "embedding"),
        ("text-embedding-005", "embedding"),
        ("text-multilingual-embedding-002", "embedding"),
        ("imagen-4.0-generate-001", "imagen"),
        ("imagegeneration@006", "imagen"),
        ("veo-3.0-generate-001", "veo"),
    ],
)
def test_it_decides_the_family_from_the_target(target, family):
    assert family_of(target) == family
    assert family in FAMILIES


@pytest.mark.parametrize("target", ["gpt-4o", "claude", "Gemini-2.0-flash", "meta/llama/x", "", "a/", "/b", "12a"])
def test_it_refuses_a_target_of_unknown_shape(target):
    with pytest.raises(ConfigError) as err:
        family_of(target)
    assert err.value.field == "target"


# --- ids and names ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("target", "base"),
    [
        ("claude-3-5-haiku@20241022", "claude-3-5-haiku"),
        ("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-v2"),
        ("gemini-2.0-flash-001", "gemini-2.0-flash"),
        ("gemini-1.5-pro-002", "gemini-1.5-pro"),
        ("gemini-2.0-flash", "gemini-2.0-flash"),
        ("mistral-large-2411", "mistral-large"),
        ("mistral-small-2503@001", "mistral-small-2503"),
        ("imagen-3.0-generate-002", "imagen-3.0-generate-002"),
        ("imagegeneration@005", "imagegeneration@005"),
        ("meta/llama-3.3-70b-instruct-maas", "meta/llama-3.3-70b-instruct-maas"),
        ("1234567890", "1234567890"),
        ("gemini-9-ultra-001", "gemini-9-ultra"),
    ],
)
def test_base_model_removes_version_suffixes(target, base):
    assert base_model(target) == base


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("gemini-2.0-flash", "Gemini 2.0 Flash"),
        ("claude_3_opus", "Claude 3 Opus"),
        ("gemini-pro", "Gemini Pro"),
        ("gpt-4o", "Gpt 4o"),
        ("my_tuned_model", "My Tuned Model"),
    ],
)
def test_display_names_follow_the_seed_rule_for_models_the_catalog_does_not_know(model_id, name):
    assert display_name(model_id) == name


@pytest.mark.parametrize(
    ("model_id", "target", "name"),
    [
        ("claude-sonnet-4-5", None, "Claude Sonnet 4.5"),
        ("claude-3-5-haiku", "claude-3-5-haiku@20241022", "Claude 3.5 Haiku"),
        ("claude-3-5-sonnet", "claude-3-5-sonnet-v2@20241022", "Claude 3.5 Sonnet v2"),
        ("llama-3.3-70b", "meta/llama-3.3-70b-instruct-maas", "Llama 3.3 70B"),
        ("gemini-2.0-flash", "gemini-2.0-flash-001", "Gemini 2.0 Flash"),
        ("my-tuned", "1234567890", "My Tuned"),
    ],
)
def test_display_names_come_from_the_catalog_where_it_knows_the_model(model_id, target, name):
    assert display_name(model_id, target) == name


# --- availability -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("target", "region", "served"),
    [
        ("claude-3-5-haiku@20241022", "global", False),
        ("claude-3-5-sonnet-v2@20241022", "global", False),
        ("claude-3-7-sonnet@20250219", "global", False),
        ("claude-sonnet-4@20250514", "global", False),
        ("claude-opus-4@20250514", "global", False),
        ("claude-opus-4-1@20250805", "global", False),
        ("claude-sonnet-4-5@20250929", "global", True),
        ("claude-haiku-4-5@20251001", "global", True),
        ("claude-3-5-haiku@20241022", "us-east5", True),
        ("claude-opus-4-1@20250805", "europe-west1", True),
        ("gemini-2.0-flash-001", "global", True),
        ("gemini-2.5-flash-image-preview", "global", True),
        ("gemini-1.5-pro-002", "global", False),
        ("gemini-2.5-pro", "me-west1", True),
        # An empty cell of seed 000 lost its check mark: it does not mean "not served".
        ("gemini-2.5-flash-lite", "asia-northeast1", True),
        ("veo-3.0-generate-001", "us-central1", True),
        ("veo-3.0-generate-001", "europe-west4", False),
        ("gemini-2.0-flash", "us-west2", False),
        ("meta/llama-3.3-70b-instruct-maas", "us-west1", True),
    ],
)
def test_it_knows_where_a_model_is_served(target, region, served):
    assert catalog().is_served(target, region) is served


@pytest.mark.parametrize(
    ("target", "region"),
    [
        ("claude-3-5-haiku@20241022", "us-central1"),  # unmarked cell of the partner table
        ("claude-3-5-haiku@20241022", "asia-southeast1"),
        ("claude-3-5-haiku@20241022", "europe-west4"),  # the Europe partner table's columns do not line up
        ("mistral-large-2411", "europe-west4"),
        ("claude-sonnet-4-5@20250929", "us-east5"),  # the seeds give no regional list
        ("meta/llama-3.3-70b-instruct-maas", "global"),  # the partner Global table is not evidence
        ("qwen/qwen3-235b-a22b-instruct-2507-maas", "us-central1"),
        ("gemini-2.5-pro", "us"),  # the seeds do not cover the multi-region endpoints
        ("gemini-2.0-flash", "eu"),
        ("claude-3-5-haiku@20241022", "eu"),
        ("gemini-9-ultra", "us-central1"),
        ("1234567890", "us-central1"),
    ],
)
def test_it_says_it_cannot_tell_when_the_seeds_do_not_say(target, region):
    assert catalog().is_served(target, region) is None


def test_served_regions_put_the_recommended_region_first():
    cat = catalog()
    assert cat.served_regions("claude-3-5-haiku@20241022") == ("us-east5", "europe-west1")
    assert cat.served_regions("claude-opus-4-1@20250805")[0] == "europe-west1"
    assert cat.served_regions("gemini-2.0-flash")[0] == "global"


def test_served_regions_is_none_without_data():
    cat = catalog()
    assert cat.served_regions("gemini-9-ultra") is None
    assert cat.served_regions("openai/gpt-oss-120b-maas") is None


def test_an_admin_override_wins_both_ways():
    cat = catalog({("claude-3-5-haiku@20241022", "global"): True, ("gemini-2.5-pro", "us-central1"): False,
                   ("openai/gpt-oss-120b-maas", "us-central1"): True})
    assert cat.is_served("claude-3-5-haiku", "global") is True
    assert cat.is_served("gemini-2.5-pro", "us-central1") is False
    assert "us-central1" not in cat.served_regions("gemini-2.5-pro")
    assert cat.served_regions("openai/gpt-oss-120b-maas") == ("us-central1",)


def test_it_learns_from_a_404_that_a_model_is_not_served():
    cat = catalog()
    cat.learn_not_served("gemini-2.5-pro", "us-east5")
    assert cat.is_served("gemini-2.5-pro", "us-east5") is False
    assert "us-east5" not in cat.failover_regions("gemini-2.5-pro", "us-central1")
    # The lesson is shared by catalogs built with other overrides (one per request in the app).
    assert cat.with_overrides({}).is_served("gemini-2.5-pro", "us-east5") is False
    assert catalog().is_served("gemini-2.5-pro", "us-east5") is True


def test_a_lesson_from_a_404_expires():
    now = [1000.0]
    learned = LearnedAvailability(ttl=60, clock=lambda: now[0])
    cat = Catalog(learned=learned)
    cat.learn_not_served("gemini-2.5-pro", "us-east5")
    assert cat.is_served("gemini-2.5-pro", "us-east5") is False
    now[0] += 61
    assert cat.is_served("gemini-2.5-pro", "us-east5") is True


def test_learning_is_safe_from_many_threads():
    cat = catalog()
    regions = [r.id for r in REGIONS]

    def learn(offset: int) -> None:
        for i in range(200):
            region = regions[(i + offset) % len(regions)]
            cat.learn_not_served("gemini-2.0-flash", region)
            cat.failover_regions("gemini-2.0-flash", "us-central1")

    threads = [threading.Thread(target=learn, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cat.served_regions("gemini-2.0-flash") == ()
    assert cat.failover_regions("gemini-2.0-flash", "us-central1") == []


def test_failover_prefers_global_then_the_same_geography():
    regions = catalog().failover_regions("gemini-2.5-pro", "europe-west1")
    assert regions[0] == "global"
    assert "europe-west1" not in regions
    europe = [r.id for r in REGIONS if r.geography == "Europe"]
    first_other = next(i for i, r in enumerate(regions[1:], 1) if r not in europe)
    assert all(r in europe for r in regions[1:first_other])
    assert all(r not in europe for r in regions[first_other:])


def test_failover_for_claude_3_5_haiku_on_global_goes_to_its_regions():
    assert catalog().failover_regions("claude-3-5-haiku@20241022", "global")[:2] == ["us-east5", "europe-west1"]


def test_failover_is_empty_without_data():
    assert catalog().failover_regions("gemini-9-ultra", "us-central1") == []


def test_known_models_list_what_the_seeds_name():
    models = {m["id"]: m for m in DEFAULT_CATALOG.known_models()}
    for model_id in ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
                     "gemini-2.0-flash-lite", "gemini-1.5-pro", "gemini-1.5-flash", "gemini-embedding-001",
                     "text-embedding-005", "text-embedding-004", "text-multilingual-embedding-002",
                     "imagen-4.0-generate-001", "veo-3.0-generate-001", "mistral-large", "mistral-small-2503",
                     "codestral-2501", "mistral-ocr-2505", "meta/llama-3.3-70b-instruct-maas",
                     "meta/llama-4-maverick-17b-128e-instruct-maas", "deepseek-ai/deepseek-r1-0528-maas",
                     "openai/gpt-oss-120b-maas", "claude-sonnet-4-5", "claude-3-5-haiku"]:
        assert model_id in models
    haiku = models["claude-3-5-haiku"]
    assert haiku["display_name"] == "Claude 3.5 Haiku"
    assert haiku["family"] == "anthropic"
    assert haiku["default_target"] == "claude-3-5-haiku@20241022"
    assert "global" not in haiku["regions"]
    assert models["gemini-embedding-001"]["family"] == "embedding"


def test_seed_marks_are_kept_as_notes():
    flash = next(m for m in DEFAULT_CATALOG.known_models() if m["id"] == "gemini-2.5-flash")
    assert flash["notes"]["no_supervised_tuning"] == ["europe-west9"]
    assert "northamerica-northeast1" in flash["notes"]["single_zone_provisioned_throughput_only"]


def test_the_data_is_consistent():
    known = {r.id for r in REGIONS}
    for model in DEFAULT_CATALOG.known_models():
        assert base_model(model["id"]) == model["id"]
        assert base_model(model["default_target"]) == model["id"]
        assert set(model["regions"]) <= known
        for regions in model["notes"].values():
            assert set(regions) <= known

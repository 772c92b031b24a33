"""The anthropic-beta compatibility table: what Vertex accepts per Claude route, with admin overrides."""

from __future__ import annotations

import pytest

from routing.betas import DEFAULT_BETAS, ROUTES, BetaTable, filter_betas, parse_betas
from routing.config import ConfigError

# What Claude Code 2.1 sends in Anthropic mode (ARCHITECTURE.md, "Facts about the native clients").
CLAUDE_CODE_BETAS = ("claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,context-1m-2025-08-07,"
                     "context-management-2025-06-27,prompt-caching-scope-2026-01-05,structured-outputs-2025-11-13,"
                     "fine-grained-tool-streaming-2025-05-14")


def test_it_parses_a_header_value_and_lists_of_values_keeping_order_without_duplicates():
    assert parse_betas(" a-1 , b-2,,a-1 ") == ["a-1", "b-2"]
    assert parse_betas(["a-1,b-2", "c-3", "a-1"]) == ["a-1", "b-2", "c-3"]
    assert parse_betas(None) == [] and parse_betas("") == []


def test_it_keeps_what_vertex_accepts_and_drops_what_it_refuses_from_claude_codes_set():
    kept, dropped = filter_betas("messages", CLAUDE_CODE_BETAS)

    assert kept == ["claude-code-20250219", "interleaved-thinking-2025-05-14", "context-1m-2025-08-07",
                    "context-management-2025-06-27", "fine-grained-tool-streaming-2025-05-14"]
    assert dropped == ["oauth-2025-04-20", "prompt-caching-scope-2026-01-05", "structured-outputs-2025-11-13"]


@pytest.mark.parametrize("beta", ["token-efficient-tools-2025-02-19", "output-128k-2025-02-19",
                                  "interleaved-thinking-2025-05-14", "context-1m-2025-08-07"])
def test_the_messages_routes_accept_the_betas_vertex_serves(beta):
    assert DEFAULT_BETAS.accepts("messages", beta)


def test_count_tokens_refuses_betas_the_messages_routes_accept():
    beta = "effort-2025-11-24,tool-search-tool-2025-10-19,web-search-2025-03-05"
    assert filter_betas("messages", beta) == (beta.split(","), [])
    assert filter_betas("count_tokens", beta) == ([], beta.split(","))


def test_an_unknown_beta_is_dropped_because_vertex_would_refuse_the_whole_request():
    assert filter_betas("messages", "brand-new-2030-01-01") == ([], ["brand-new-2030-01-01"])


def test_a_value_that_is_not_a_beta_name_is_dropped_not_forwarded():
    assert filter_betas("messages", "interleaved-thinking-2025-05-14,x\ny") == (
        ["interleaved-thinking-2025-05-14"], ["x\ny"])


def test_overrides_win_over_the_default_in_both_directions():
    table = BetaTable([("brand-new-2030-01-01", "messages", True), ("context-1m-2025-08-07", "messages", False)])

    assert table.filter("messages", "brand-new-2030-01-01,context-1m-2025-08-07") == (
        ["brand-new-2030-01-01"], ["context-1m-2025-08-07"])
    assert not table.accepts("count_tokens", "brand-new-2030-01-01")  # only the route named
    assert DEFAULT_BETAS.accepts("messages", "context-1m-2025-08-07")  # the default is untouched


def test_overrides_may_be_a_mapping_like_catalog_overrides_and_replace_earlier_ones():
    table = BetaTable({("effort-2025-11-24", "count_tokens"): True})
    assert table.accepts("count_tokens", "effort-2025-11-24")
    assert not table.with_overrides({}).accepts("count_tokens", "effort-2025-11-24")


@pytest.mark.parametrize(("override", "field"), [
    (("ok-beta", "chat", True), "route"), (("Bad Beta", "messages", True), "beta"), (("", "messages", True), "beta")])
def test_a_bad_override_names_its_field(override, field):
    with pytest.raises(ConfigError) as caught:
        BetaTable([override])
    assert caught.value.field == field


def test_a_filter_on_an_unknown_route_is_refused():
    with pytest.raises(ConfigError):
        filter_betas("chat", "a")


def test_known_lists_every_beta_with_its_routes_and_marks_overrides():
    table = BetaTable([("brand-new-2030-01-01", "count_tokens", True)])
    rows = {row["beta"]: row for row in table.known()}

    assert rows["brand-new-2030-01-01"] == {"beta": "brand-new-2030-01-01",
                                            "routes": {"messages": False, "count_tokens": True},
                                            "note": "", "overridden": ["count_tokens"]}
    assert rows["prompt-caching-scope-2026-01-05"]["routes"] == dict.fromkeys(ROUTES, False)
    assert "19984" in rows["prompt-caching-scope-2026-01-05"]["note"]

"""Budgets: refusal at the limit with a message that says which, how much and when it resets; reset at
the period boundary (frozen clock); token, user and team scopes; the database counters."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from gateway_admin.models import ApiToken, BudgetCounter, UsageRollup
from gateway_admin.services.budgets import budget_create, budget_update
from gateway_admin.services.teams import team_create
from gateway_admin.usage import BudgetExceeded, Cost, Usage
from gateway_admin.usage.budgets import budget_check
from gateway_admin.usage.periods import period_bounds
from gateway_admin.usage.spend import spend_record

CENT2 = Cost(usd=Decimal("0.02"), price_version="table:test")


def spend(*, token_id=None, user_id=None, cost=CENT2, at=None, usage=Usage(input_tokens=10, output_tokens=5)):
    spend_record(token_id=token_id, user_id=user_id, key_id=None, model="gemini-2.0-flash",
                 target="gemini-2.0-flash", region="us-central1", usage=usage, cost=cost,
                 at=at or datetime.now(UTC))


@pytest.fixture
def token(admin_user, api_token_factory):
    api_token_factory(admin_user, name="ci-script")
    return ApiToken.objects.get(name="ci-script")


def test_a_day_budget_of_five_cents_refuses_the_call_after_it_is_used_up_and_resets_at_midnight(admin_user, token):
    budget = budget_create(actor=admin_user, token=token.pk, amount_usd="0.05", period="day")
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        for _ in range(3):  # 0.00 -> 0.02 -> 0.04 are under 0.05: each call is let through
            budget_check(token_id=token.pk, user_id=None)
            spend(token_id=token.pk)
        with pytest.raises(BudgetExceeded) as refused:
            budget_check(token_id=token.pk, user_id=None)
    exc = refused.value
    assert (exc.budget_id, exc.scope, exc.period) == (budget.pk, "token", "day")
    assert exc.used_usd == Decimal("0.06") and exc.amount_usd == Decimal("0.05")
    assert exc.resets_at == datetime(2026, 3, 11, tzinfo=UTC)
    assert "ci-script" in exc.message and "$0.06 spent of $0.05 today" in exc.message
    assert "2026-03-11 00:00 UTC" in exc.message
    with time_machine.travel(datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC), tick=False), \
            pytest.raises(BudgetExceeded):
        budget_check(token_id=token.pk, user_id=None)
    with time_machine.travel(datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC), tick=False):
        budget_check(token_id=token.pk, user_id=None)  # a new day: nothing spent yet


def test_a_month_budget_resets_on_the_first_of_the_next_month(admin_user, token):
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.01", period="month")
    with time_machine.travel(datetime(2026, 1, 31, 23, 0, tzinfo=UTC), tick=False):
        spend(token_id=token.pk)
        with pytest.raises(BudgetExceeded) as refused:
            budget_check(token_id=token.pk, user_id=None)
        assert refused.value.resets_at == datetime(2026, 2, 1, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 2, 1, 0, 0, 1, tzinfo=UTC), tick=False):
        budget_check(token_id=token.pk, user_id=None)


def test_a_total_budget_never_resets_and_says_so(admin_user, token):
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.02", period="total")
    spend(token_id=token.pk, at=datetime(2020, 1, 1, tzinfo=UTC))
    with pytest.raises(BudgetExceeded) as refused:
        budget_check(token_id=token.pk, user_id=None)
    assert refused.value.resets_at is None and "does not reset" in refused.value.message


def test_a_user_budget_counts_calls_made_with_the_users_tokens(admin_user, token):
    budget_create(actor=admin_user, user=admin_user.pk, amount_usd="0.03", period="week")
    spend(token_id=token.pk)  # user_id not given: the token's owner is the user
    budget_check(token_id=token.pk, user_id=None)
    spend(token_id=token.pk, user_id=admin_user.pk)
    with pytest.raises(BudgetExceeded) as refused:
        budget_check(token_id=None, user_id=admin_user.pk)
    assert refused.value.scope == "user" and refused.value.used_usd == Decimal("0.04")


def test_a_team_budget_counts_every_member_together(admin_user, developer_user):
    team = team_create(actor=admin_user, name="search", members=[admin_user.pk, developer_user.pk])
    budget_create(actor=admin_user, team=team.pk, amount_usd="0.04", period="day")
    spend(user_id=admin_user.pk)
    budget_check(token_id=None, user_id=developer_user.pk)
    spend(user_id=developer_user.pk)
    with pytest.raises(BudgetExceeded) as refused:
        budget_check(token_id=None, user_id=admin_user.pk)
    assert refused.value.scope == "team" and "team search" in refused.value.message


def test_raising_a_budget_lets_calls_through_again_at_once(admin_user, token):
    budget = budget_create(actor=admin_user, token=token.pk, amount_usd="0.02", period="day")
    spend(token_id=token.pk)
    with pytest.raises(BudgetExceeded):
        budget_check(token_id=token.pk, user_id=None)
    budget_update(actor=admin_user, budget=budget, amount_usd="1.00")
    budget_check(token_id=token.pk, user_id=None)


def test_calls_without_a_price_are_counted_in_tokens_but_never_as_spend(admin_user, token):
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.01", period="day")
    for _ in range(3):
        spend(token_id=token.pk, cost=Cost(usd=None, price_version="none"),
              usage=Usage(input_tokens=1000, output_tokens=100))
    budget_check(token_id=token.pk, user_id=None)
    row = UsageRollup.objects.get(token_id=token.pk)
    assert (row.calls, row.unpriced_calls, row.input_tokens, row.output_tokens, row.cost_nanos) == (3, 3, 3000, 300, 0)


def test_the_rollup_sums_calls_tokens_and_cost_per_day(admin_user, token):
    at = datetime(2026, 5, 4, 10, tzinfo=UTC)
    usage = Usage(input_tokens=100, output_tokens=20, cache_read_tokens=40, cache_write_tokens=10)
    spend(token_id=token.pk, user_id=admin_user.pk, at=at, usage=usage)
    spend(token_id=token.pk, user_id=admin_user.pk, at=at.replace(hour=23), usage=usage)
    spend(token_id=token.pk, user_id=admin_user.pk, at=at.replace(day=5), usage=usage)
    rows = {r.day.isoformat(): r for r in UsageRollup.objects.all()}
    assert set(rows) == {"2026-05-04", "2026-05-05"}
    r = rows["2026-05-04"]
    assert (r.calls, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens) == (2, 200, 40, 80, 20)
    assert r.cost_nanos == 40_000_000  # 2 x $0.02


def test_without_budgets_the_check_needs_no_query_once_warm(token, django_assert_num_queries):
    budget_check(token_id=token.pk, user_id=None)
    with django_assert_num_queries(0):
        for _ in range(10):
            budget_check(token_id=token.pk, user_id=None)


def test_the_database_counter_adds_atomically_and_is_keyed_by_period(admin_user, token, settings):
    from gateway_admin.usage.counters import counters_reset

    settings.BUDGET_COUNTERS = "database"  # CI sets REDIS_URL, where "auto" would count in Redis
    counters_reset()
    budget = budget_create(actor=admin_user, token=token.pk, amount_usd="5", period="day")
    at = datetime(2026, 3, 10, 8, tzinfo=UTC)
    spend(token_id=token.pk, at=at)
    spend(token_id=token.pk, at=at.replace(hour=9))
    spend(token_id=token.pk, at=at.replace(day=11))
    counters = {c.period_start: c.spent_nanos for c in BudgetCounter.objects.filter(budget=budget)}
    assert counters == {period_bounds("day", at)[0]: 40_000_000,
                        period_bounds("day", at.replace(day=11))[0]: 20_000_000}


@pytest.mark.parametrize(("period", "now", "start", "reset"), [
    ("day", datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 11, tzinfo=UTC)),
    ("week", datetime(2026, 3, 12, 12, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 3, 16, tzinfo=UTC)),
    ("month", datetime(2026, 12, 31, 23, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_periods_start_and_reset_on_utc_boundaries(period, now, start, reset):
    assert period_bounds(period, now) == (start, reset)


@pytest.mark.django_db(transaction=True)
async def test_the_async_hooks_refuse_and_record_like_the_sync_ones(admin_user):
    from asgiref.sync import sync_to_async

    from gateway_admin.usage import abudget_check, aspend_record

    await sync_to_async(budget_create)(actor=admin_user, user=admin_user.pk, amount_usd="0.03", period="day")
    for _ in range(2):
        await abudget_check(token_id=None, user_id=admin_user.pk)
        await aspend_record(token_id=None, user_id=admin_user.pk, key_id=3, model="claude-sonnet-4-5",
                            target="claude-sonnet-4-5@20250929", region="global",
                            usage=Usage(input_tokens=10, output_tokens=10), cost=CENT2, at=datetime.now(UTC))
    with pytest.raises(BudgetExceeded):
        await abudget_check(token_id=None, user_id=admin_user.pk)
    row = await UsageRollup.objects.aget(user_id=admin_user.pk)
    assert (row.calls, row.key_id, row.cost_nanos) == (2, 3, 40_000_000)


@pytest.fixture
def redis_counters(settings):
    import uuid

    import redis

    from gateway_admin.usage.counters import counters_reset

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except Exception:
        pytest.skip("Redis is not reachable")
    settings.BUDGET_COUNTERS, settings.BUDGET_REDIS_URL = "redis", url
    settings.CACHE_KEY_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
    counters_reset()
    client = redis.Redis.from_url(url)
    yield client
    for name in client.scan_iter(f"{settings.CACHE_KEY_PREFIX}:*"):
        client.delete(name)
    counters_reset()


def test_a_redis_counter_lost_with_its_redis_is_seeded_again_from_the_durable_rollup(admin_user, token,
                                                                                      redis_counters, settings):
    budget_create(actor=admin_user, token=token.pk, amount_usd="0.05", period="month")
    for _ in range(3):
        budget_check(token_id=token.pk, user_id=None)
        spend(token_id=token.pk)
    with pytest.raises(BudgetExceeded):
        budget_check(token_id=token.pk, user_id=None)
    names = list(redis_counters.scan_iter(f"{settings.CACHE_KEY_PREFIX}:budget:*"))
    assert len(names) == 1 and int(redis_counters.get(names[0])) == 60_000_000
    redis_counters.delete(*names)  # Redis restarted without its data
    with pytest.raises(BudgetExceeded) as refused:
        budget_check(token_id=token.pk, user_id=None)
    assert refused.value.used_usd == Decimal("0.06")
    assert int(redis_counters.get(names[0])) == 60_000_000


def test_a_budget_is_named_by_its_scope_alike_in_refusals_and_on_the_budgets_page(admin_user, token):
    from gateway_admin.selectors.usage import budget_statuses
    from gateway_admin.usage.budgets import load_snapshot

    team = team_create(actor=admin_user, name="search", members=[admin_user.pk])
    on_token = budget_create(actor=admin_user, token=token.pk, amount_usd="1", period="day")
    on_user = budget_create(actor=admin_user, user=admin_user.pk, amount_usd="1", period="day")
    on_team = budget_create(actor=admin_user, team=team.pk, amount_usd="1", period="day")
    expected = {on_token.pk: f"token ci-script ({token.prefix}…)",
                on_user.pk: f"user {admin_user.get_username()}",
                on_team.pk: "team search"}
    assert {s.budget.pk: s.scope_name for s in budget_statuses()} == expected
    snapshot = load_snapshot()
    rules = [*snapshot.by_token[token.pk], *snapshot.by_user[admin_user.pk], *snapshot.by_team[team.pk]]
    assert {r.id: r.name for r in rules} == expected

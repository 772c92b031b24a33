"""Usage, budgets and prices pages; the overview's spend card and budget warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway_admin.models import Budget, PriceOverride
from gateway_admin.services.budgets import budget_create
from gateway_admin.usage import Cost, Usage
from gateway_admin.usage.spend import spend_record


def rec(user, model, cost, *, days_ago=0, token_id=None):
    spend_record(token_id=token_id, user_id=user.pk, key_id=None, model=model, target=model, region="global",
                 usage=Usage(input_tokens=1000, output_tokens=100), cost=Cost(cost, "t"),
                 at=datetime.now(UTC) - timedelta(days=days_ago))


def test_the_overview_shows_todays_and_this_months_spend_and_a_soft_limit_warning(admin_client, admin_user):
    budget_create(actor=admin_user, user=admin_user.pk, amount_usd="1.50", period="month", soft_limit_percent=80)
    rec(admin_user, "claude-sonnet-4-5", Decimal("1.25"))  # a budget counts spend from its creation on
    html = admin_client.get("/").content.decode()
    assert 'id="spend-today">$1.25' in html
    assert "Budget at 83.3%: user alice-admin spent $1.25 of $1.50 this month" in html


def test_the_usage_page_charts_spend_by_model_and_says_no_price_for_unpriced_models(admin_client, admin_user):
    rec(admin_user, "claude-sonnet-4-5", Decimal("0.50"), days_ago=1)
    rec(admin_user, "gemini-2.0-flash", Decimal("0.10"))
    rec(admin_user, "my-tuned-endpoint", None)
    r = admin_client.get("/usage/?window=7d&by=model")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="usage-total-cost">$0.6' in html
    assert html.count('class="seg s') == 2  # two priced days, one bar segment each
    assert "my-tuned-endpoint" in html and "no price" in html
    tokens = admin_client.get("/usage/?window=7d&by=model&metric=tokens").content.decode()
    assert tokens.count('class="seg s') == 3  # the unpriced model's tokens are charted too


def test_the_usage_csv_has_one_row_per_day_and_dimension(admin_client, admin_user):
    rec(admin_user, "gemini-2.0-flash", Decimal("0.10"))
    rec(admin_user, "gemini-2.0-flash", Decimal("0.10"))
    rec(admin_user, "my-tuned-endpoint", None)
    r = admin_client.get("/usage/?by=model&format=csv")
    assert r["Content-Type"].startswith("text/csv")
    lines = r.content.decode().strip().splitlines()
    assert lines[0].startswith("day,model,calls")
    today = datetime.now(UTC).date().isoformat()
    assert f"{today},gemini-2.0-flash,2,0,2000,200,0,0,0.200000000,0" in lines
    assert f"{today},my-tuned-endpoint,1,0,1000,100,0,0,,1" in lines


def test_a_developer_sees_only_their_own_usage(developer_client, developer_user, admin_user):
    rec(admin_user, "claude-sonnet-4-5", Decimal("5"))
    rec(developer_user, "gemini-2.0-flash", Decimal("0.01"))
    html = developer_client.get(f"/usage/?user={admin_user.pk}").content.decode()
    assert 'id="usage-total-cost">$0.01' in html and "claude-sonnet-4-5" not in html


def test_an_admin_creates_a_budget_on_the_page_and_a_bad_amount_is_shown_beside_the_field(admin_client, admin_user):
    bad = admin_client.post("/usage/budgets/new/", {"scope": "user", "user_id": admin_user.pk, "amount_usd": "-1",
                                                    "period": "day"})
    assert bad.status_code == 400 and 'id="err-amount"' in bad.content.decode()
    assert not Budget.objects.exists()
    ok = admin_client.post("/usage/budgets/new/", {"scope": "user", "user_id": admin_user.pk, "amount_usd": "20",
                                                   "period": "week", "soft_limit_percent": "75"})
    assert ok.status_code == 302
    b = Budget.objects.get()
    assert (b.user_id, b.amount_usd, b.period, b.soft_limit_percent) == (admin_user.pk, Decimal("20"), "week", 75)
    assert "user alice-admin" in admin_client.get("/usage/budgets/").content.decode()


def test_budgets_page_is_admin_only(developer_client):
    assert developer_client.get("/usage/budgets/").status_code == 403


def test_the_prices_page_lists_the_table_and_an_admin_adds_an_override(admin_client):
    html = admin_client.get("/usage/prices/").content.decode()
    assert "claude-sonnet-4-5" in html and "+10% on regional endpoints" in html
    r = admin_client.post("/usage/prices/overrides/new/", {"model_id": "gemini-2.0-flash", "output": "0.80"})
    assert r.status_code == 302
    assert PriceOverride.objects.get().output == Decimal("0.8")
    bad = admin_client.post("/usage/prices/overrides/new/", {"model_id": "gemini-2.0-flash", "output": "cheap"})
    assert bad.status_code == 400 and "A price in USD" in bad.content.decode()


def test_an_admin_creates_a_team_on_the_budgets_page_and_a_duplicate_name_is_named(admin_client, admin_user,
                                                                                   developer_user):
    from gateway_admin.models import Team

    r = admin_client.post("/usage/teams/new/", {"name": "search", "members": [admin_user.pk, developer_user.pk]})
    assert r.status_code == 302
    assert sorted(Team.objects.get().members.values_list("username", flat=True)) == ["alice-admin", "dave-dev"]
    dup = admin_client.post("/usage/teams/new/", {"name": "Search"})
    assert dup.status_code == 400 and 'id="err-team-name"' in dup.content.decode()
    html = admin_client.get("/usage/budgets/").content.decode()
    assert "alice-admin, dave-dev" in html


def test_the_usage_page_from_the_cached_past_days_equals_a_fresh_computation(admin_user, developer_user, settings):
    import random

    from gateway_admin.selectors.usage import default_filters, usage_page

    rng = random.Random(7)
    for d in range(12):
        for model in ("claude-sonnet-4-5", "gemini-2.0-flash", "gemini-2.5-pro", "my-tuned", "mistral-large",
                      "imagen-4.0-generate-001", "codestral-2501"):
            if rng.random() < 0.7:
                rec(rng.choice([admin_user, developer_user]), model,
                    None if model == "my-tuned" else Decimal(rng.randint(1, 900)) / 1000, days_ago=d)

    def page(**kw):
        p = usage_page(default_filters(days=10), **kw)
        chart = [(d.label, [(s.label, s.value) for s in d.segments]) for d in p.chart.days]
        return (p.totals, [(r.label, r.cost_usd, r.calls) for r in p.top], chart)

    settings.USAGE_PAST_CACHE_SECONDS = 0
    fresh = page(by="model"), page(by="user", metric="tokens")
    settings.USAGE_PAST_CACHE_SECONDS = 600
    assert (page(by="model"), page(by="user", metric="tokens")) == fresh  # fills the cache
    assert (page(by="model"), page(by="user", metric="tokens")) == fresh  # served from it
    # Totals and top rows agree with the API's one-scan selectors over the whole window.
    from gateway_admin.selectors.usage import usage_rows, usage_totals

    f = default_filters(days=10)
    assert fresh[0][0] == usage_totals(f)
    assert fresh[0][1] == [(r.label, r.cost_usd, r.calls) for r in usage_rows(f, group_by=["model"])]
    rec(admin_user, "gemini-2.0-flash", Decimal("1"))  # today: seen at once
    assert page(by="model")[0].calls == fresh[0][0].calls + 1

"""/api/v1/budgets/, /teams/, /prices/ and /usage/: admin-only writes, 400 naming the field, audit rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gateway_admin.models import ApiToken, AuditLog, Budget, PriceOverride, Team
from gateway_admin.usage import Cost, Usage
from gateway_admin.usage.spend import spend_record


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def patch(client, url, body):
    return client.patch(url, body, content_type="application/json")


@pytest.fixture
def token(admin_user, api_token_factory):
    api_token_factory(admin_user, name="nightly")
    return ApiToken.objects.get(name="nightly")


def test_an_admin_creates_a_budget_on_a_token_and_reads_its_spend(admin_client, admin_user, token):
    r = post(admin_client, "/api/v1/budgets/", {"token": token.pk, "amount_usd": "0.05", "period": "day",
                                                "soft_limit_percent": 80})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["scope"], body["token"], body["amount_usd"], body["period"], body["state"]) == (
        "token", token.pk, "0.0500", "day", "ok")
    spend_record(token_id=token.pk, user_id=admin_user.pk, key_id=None, model="gemini-2.0-flash",
                 target="gemini-2.0-flash", region="global", usage=Usage(input_tokens=1),
                 cost=Cost(Decimal("0.041"), "table:x"), at=datetime.now(UTC))
    got = admin_client.get(f"/api/v1/budgets/{body['id']}/").json()
    assert Decimal(got["used_usd"]) == Decimal("0.041") and Decimal(got["remaining_usd"]) == Decimal("0.009")
    assert got["state"] == "warning" and got["percent_used"] == 82.0
    audit = AuditLog.objects.filter(object_type="budget", action="create").get()
    assert audit.changes["amount_usd"] == [None, "0.05"]


@pytest.mark.parametrize(("body", "field"), [
    ({"token": 1, "amount_usd": "-3"}, "amount_usd"),
    ({"token": 1, "amount_usd": "ten"}, "amount_usd"),
    ({"token": 1, "amount_usd": "0.05", "period": "year"}, "period"),
    ({"token": 1, "amount_usd": "0.05", "soft_limit_percent": 150}, "soft_limit_percent"),
    ({"amount_usd": "0.05"}, "scope"),
    ({"token": 1, "user": 1, "amount_usd": "0.05"}, "user"),
    ({"team": 999, "amount_usd": "0.05"}, "team"),
    ({"token": 1, "amount_usd": "0.05", "colour": "red"}, "colour"),
])
def test_a_bad_budget_is_refused_naming_the_field_and_nothing_is_saved(admin_client, token, body, field):
    body = {k: (token.pk if k == "token" else v) for k, v in body.items()}
    r = post(admin_client, "/api/v1/budgets/", body)
    assert r.status_code == 400
    assert field in r.json()["errors"], r.json()
    assert not Budget.objects.exists()


def test_budgets_are_admin_only(developer_client):
    assert developer_client.get("/api/v1/budgets/").status_code == 403
    assert post(developer_client, "/api/v1/budgets/", {"user": 1, "amount_usd": "1"}).status_code == 403


def test_a_budget_is_changed_and_deleted_with_audit_rows(admin_client, admin_user):
    created = post(admin_client, "/api/v1/budgets/", {"user": admin_user.pk, "amount_usd": "10"}).json()
    assert created["period"] == "month"
    r = patch(admin_client, f"/api/v1/budgets/{created['id']}/", {"amount_usd": "12.50", "period": "week"})
    assert r.status_code == 200 and r.json()["amount_usd"] == "12.5000" and r.json()["period"] == "week"
    assert patch(admin_client, f"/api/v1/budgets/{created['id']}/", {"amount_usd": "0"}).json()["errors"].keys() == {
        "amount_usd"}
    assert admin_client.delete(f"/api/v1/budgets/{created['id']}/").status_code == 204
    actions = list(AuditLog.objects.filter(object_type="budget").order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]


def test_teams_are_created_with_members_and_a_bad_member_is_named(admin_client, admin_user, developer_user):
    r = post(admin_client, "/api/v1/teams/", {"name": "search", "members": [admin_user.pk, developer_user.pk]})
    assert r.status_code == 201
    assert sorted(m["username"] for m in r.json()["members"]) == ["alice-admin", "dave-dev"]
    bad = post(admin_client, "/api/v1/teams/", {"name": "ads", "members": [99999]})
    assert bad.status_code == 400 and "members" in bad.json()["errors"]
    dup = post(admin_client, "/api/v1/teams/", {"name": "Search"})
    assert dup.status_code == 400 and "name" in dup.json()["errors"]
    team_id = r.json()["id"]
    r = patch(admin_client, f"/api/v1/teams/{team_id}/", {"members": [developer_user.pk]})
    assert [m["username"] for m in r.json()["members"]] == ["dave-dev"]
    assert admin_client.delete(f"/api/v1/teams/{team_id}/").status_code == 204
    assert not Team.objects.exists()


def test_prices_list_the_table_and_an_override_replaces_a_row(admin_client):
    rows = {r["model_id"]: r for r in admin_client.get("/api/v1/prices/").json()}
    assert rows["claude-sonnet-4-5"]["regional_premium_percent"] == "10.00"
    assert rows["gemini-2.5-pro"]["long_context"]["above_input_tokens"] == 200000
    r = post(admin_client, "/api/v1/prices/overrides/", {"model_id": "gemini-2.0-flash", "output": "0.70",
                                                         "effective_from": "2020-01-01T00:00:00Z", "note": "contract"})
    assert r.status_code == 201, r.json()
    row = {x["model_id"]: x for x in admin_client.get("/api/v1/prices/").json()}["gemini-2.0-flash"]
    assert (row["output"], row["input"], row["version"]) == ("0.700000", "0.150000", f"override:{r.json()['id']}")
    old = {x["model_id"]: x for x in admin_client.get("/api/v1/prices/?at=2019-06-01T00:00:00Z").json()}
    assert old["gemini-2.0-flash"]["output"] == "0.600000"
    assert AuditLog.objects.filter(object_type="priceoverride", action="create").exists()


@pytest.mark.parametrize(("body", "field"), [
    ({"model_id": "gemini-2.0-flash", "input": "-1"}, "input"),
    ({"model_id": "gemini-2.0-flash", "output": "abc"}, "output"),
    ({"model_id": " spaced ", "input": "1"}, "model_id"),
    ({"model_id": "gemini-2.0-flash"}, "input"),
    ({"model_id": "gemini-2.0-flash", "input": "1", "effective_from": "soon"}, "effective_from"),
])
def test_a_bad_price_override_is_refused_naming_the_field(admin_client, body, field):
    r = post(admin_client, "/api/v1/prices/overrides/", body)
    assert r.status_code == 400 and field in r.json()["errors"], r.json()
    assert not PriceOverride.objects.exists()


def _seed_usage(admin_user, developer_user, token):
    def rec(day, user, model, cost, tok=None, key=None, n=1):
        for _ in range(n):
            spend_record(token_id=tok, user_id=user.pk, key_id=key, model=model, target=model, region="global",
                         usage=Usage(input_tokens=100, output_tokens=10), cost=Cost(cost, "t"),
                         at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))

    rec(date(2026, 4, 1), admin_user, "gemini-2.0-flash", Decimal("0.01"), tok=token.pk, key=5, n=2)
    rec(date(2026, 4, 2), admin_user, "claude-sonnet-4-5", Decimal("0.10"), tok=token.pk, key=5)
    rec(date(2026, 4, 2), developer_user, "gemini-2.0-flash", Decimal("0.02"))
    rec(date(2026, 4, 3), developer_user, "my-tuned", None)


def test_usage_totals_and_groups_with_filters(admin_client, admin_user, developer_user, token):
    _seed_usage(admin_user, developer_user, token)
    r = admin_client.get("/api/v1/usage/?since=2026-04-01&until=2026-04-03")
    t = r.json()["totals"]
    assert (t["calls"], t["input_tokens"], t["output_tokens"], t["unpriced_calls"]) == (5, 500, 50, 1)
    assert Decimal(t["cost_usd"]) == Decimal("0.14")
    by_model = admin_client.get("/api/v1/usage/?since=2026-04-01&until=2026-04-03&group_by=model").json()["rows"]
    assert [(x["group"]["model"], x["cost_usd"]) for x in by_model] == [
        ("claude-sonnet-4-5", "0.100000000"), ("gemini-2.0-flash", "0.040000000"), ("my-tuned", None)]
    r = admin_client.get(f"/api/v1/usage/?since=2026-04-01&until=2026-04-03&token={token.pk}&group_by=day,key")
    rows = r.json()["rows"]
    assert [(x["group"]["day"], x["group"]["key"], x["calls"]) for x in rows] == [
        ("2026-04-01", 5, 2), ("2026-04-02", 5, 1)]
    team = post(admin_client, "/api/v1/teams/", {"name": "devs", "members": [developer_user.pk]}).json()
    t = admin_client.get(f"/api/v1/usage/?since=2026-04-01&until=2026-04-30&team={team['id']}").json()["totals"]
    assert (t["calls"], Decimal(t["cost_usd"])) == (2, Decimal("0.02"))
    only_unpriced = admin_client.get("/api/v1/usage/?since=2026-04-03&until=2026-04-03").json()["totals"]
    assert only_unpriced["cost_usd"] is None and only_unpriced["calls"] == 1


@pytest.mark.parametrize(("query", "field"), [
    ("group_by=colour", "group_by"), ("since=yesterday", "since"), ("token=abc", "token"), ("nonsense=1", "nonsense"),
])
def test_bad_usage_filters_are_refused_naming_the_field(admin_client, query, field):
    r = admin_client.get(f"/api/v1/usage/?{query}")
    assert r.status_code == 400 and field in r.json()["errors"], r.json()


def test_a_range_that_ends_before_it_starts_is_empty(admin_client):
    # The schema can say each date is a date, not that one comes first: such a range holds no day.
    body = admin_client.get("/api/v1/usage/?since=2026-05-02&until=2026-05-01&group_by=model").json()
    assert body["rows"] == [] and body["totals"]["calls"] == 0


def test_a_developer_sees_only_their_own_usage(developer_client, admin_user, developer_user, token):
    _seed_usage(admin_user, developer_user, token)
    t = developer_client.get(f"/api/v1/usage/?since=2026-04-01&until=2026-04-03&user={admin_user.pk}").json()["totals"]
    assert t["calls"] == 2


def test_the_new_endpoints_are_in_the_openapi_schema(admin_client):
    import json

    schema = json.loads(admin_client.get("/api/schema/?format=json").content)
    for p in ("/api/v1/budgets/", "/api/v1/budgets/{id}/", "/api/v1/teams/", "/api/v1/prices/",
              "/api/v1/prices/overrides/", "/api/v1/usage/"):
        assert p in schema["paths"], p


def test_a_token_is_created_with_a_tpm_limit_and_a_bad_one_is_named(admin_client):
    r = post(admin_client, "/api/v1/tokens/", {"name": "bulk", "tpm_limit": 50000})
    assert r.status_code == 201 and r.json()["tpm_limit"] == 50000
    assert ApiToken.objects.get(name="bulk").tpm_limit == 50000
    bad = post(admin_client, "/api/v1/tokens/", {"name": "bulk2", "tpm_limit": 0})
    assert bad.status_code == 400 and "tpm_limit" in bad.json()["errors"]

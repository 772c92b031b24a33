"""Overview, models, request log and audit log pages: what they show, attention first, filters, the
chart, and a fixed number of queries however many keys, models and rows there are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gateway_admin.models import AuditLog, Deployment, KeyHealth, ModelListing, RequestLog, VertexKey
from gateway_admin.selectors.overview import overview_key_rows
from gateway_admin.selectors.request_log import RequestLogFilters, request_log_chart

pytestmark = pytest.mark.django_db


def _keys(n: int, *, models: int = 5, start: int = 0) -> list[VertexKey]:
    now = timezone.now()
    keys = []
    for i in range(start, start + n):
        key = VertexKey.objects.create(name=f"key-{i:03d}", project_id="my-project", region="us-central1",
                                       credential_client_email=f"sa{i}@my-project.iam.gserviceaccount.com",
                                       credential_fingerprint=f"fp{i:014d}", credentials_encrypted="not-read-here")
        Deployment.objects.bulk_create(Deployment(key=key, alias=f"m-{j}", target="gemini-2.0-flash", position=j)
                                       for j in range(3))
        ModelListing.objects.create(key=key, fetched_at=now, entries=[
            {"id": f"m-{j}", "display_name": f"M {j}", "source": "deployment" if j < 3 else "custom",
             "target": "gemini-2.0-flash"} for j in range(models)])
        KeyHealth.objects.create(key=key, token_ok=True, token_minted_at=now, last_success_at=now)
        RequestLog.objects.create(model="m-0", key=key, key_name=key.name, status=200, latency_ms=10)
        keys.append(key)
    return keys


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["overview", "models", "playground", "request-log", "audit-log", "settings"])
def test_pages_run_a_fixed_number_of_queries(admin_client, name):
    _keys(3)
    small = _queries(admin_client, reverse(name))
    _keys(12, start=3, models=40)
    AuditLog.objects.bulk_create(AuditLog(action="update", object_type="vertexkey", changes={"a": [1, 2]})
                                 for _ in range(30))
    assert _queries(admin_client, reverse(name)) == small


def test_keys_that_need_attention_come_first_with_the_reason(admin_client):
    healthy, broken, stale = _keys(3)
    KeyHealth.objects.filter(key=broken).update(token_ok=False, token_error="invalid_grant: account deleted",
                                                last_error="invalid_grant: account deleted",
                                                last_error_at=timezone.now())
    ModelListing.objects.filter(key=stale).update(stale=True, last_error="List Models answered 503")
    rows = overview_key_rows()
    assert [r.key for r in rows[:2]] == sorted([broken, stale], key=lambda k: k.name)
    assert rows[-1].key == healthy and rows[-1].status == "ok"
    html = admin_client.get(reverse("overview")).content.decode()
    assert html.index(broken.name) < html.index(healthy.name)
    assert "invalid_grant: account deleted" in html and "could not be refreshed" in html
    assert broken.credential_client_email in html


def test_a_key_without_any_model_and_an_old_listing_are_warnings(admin_client):
    (key,) = _keys(1)
    Deployment.objects.filter(key=key).delete()
    ModelListing.objects.filter(key=key).update(entries=[], fetched_at=timezone.now() - timedelta(days=1))
    (row,) = overview_key_rows()
    assert row.status == "warn"
    assert any("serves nothing" in w for w in row.warnings)
    assert any("older than two refresh periods" in w for w in row.warnings)


def test_the_overview_has_an_empty_state(admin_client):
    assert "No keys yet" in admin_client.get(reverse("overview")).content.decode()


def test_the_models_page_merges_across_keys_and_searches(developer_client):
    _keys(2, models=4)
    html = developer_client.get(reverse("models")).content.decode()
    assert html.count('data-model="m-') == 4
    assert "src-custom" in html and "src-deployment" in html
    found = developer_client.get(reverse("models"), {"q": "m-3"}).content.decode()
    assert found.count('data-model="m-') == 1


def test_the_request_log_filters_and_charts_calls_and_errors(developer_client):
    (key,) = _keys(1)
    RequestLog.objects.create(model="claude-x", key=key, status=429, error_message="Quota exceeded",
                              source=RequestLog.Source.PLAYGROUND, failovers=1, attempts=2)
    html = developer_client.get(reverse("request-log"), {"outcome": "error"}).content.decode()
    assert "Quota exceeded" in html and "1 failover" in html
    assert html.count("<tr>") == 2  # header + the one error
    chart = request_log_chart(RequestLogFilters())
    assert (chart.total_calls, chart.total_errors) == (2, 1)
    assert sum(b.errors for b in chart.bars) == 1
    assert 'class="bar-errors"' in developer_client.get(reverse("request-log")).content.decode()
    detail = developer_client.get(reverse("request-log-detail", args=[RequestLog.objects.get(status=429).pk]))
    assert detail.status_code == 200 and b"Quota exceeded" in detail.content


def test_the_request_log_pages_older_rows(developer_client):
    RequestLog.objects.bulk_create(RequestLog(model=f"m{i}", status=200) for i in range(60))
    first = developer_client.get(reverse("request-log")).content.decode()
    assert "Older calls" in first
    oldest_shown = min(RequestLog.objects.order_by("-id")[:50].values_list("id", flat=True))
    second = developer_client.get(reverse("request-log"), {"before": oldest_shown}).content.decode()
    assert second.count("<tr>") == 11 and "Older calls" not in second


def test_the_audit_log_shows_who_and_what_changed(admin_client, developer_client, admin_user):
    AuditLog.objects.create(actor=admin_user, actor_label="alice-admin", action="update", object_type="vertexkey",
                            object_repr="prod", changes={"region": ["us-central1", "global"],
                                                         "credential": ["fp-old", "fp-new"]})
    html = admin_client.get(reverse("audit-log")).content.decode()
    assert "alice-admin" in html and "us-central1" in html and "global" in html and "fp-new" in html
    assert developer_client.get(reverse("audit-log")).status_code == 403  # admins only
    filtered = admin_client.get(reverse("audit-log"), {"type": "apitoken"}).content.decode()
    assert "No changes" in filtered


def test_the_overview_and_the_request_log_count_calls_and_errors_the_same_way(admin_client):
    (key,) = _keys(1)  # one successful call through the key
    now = timezone.now()
    RequestLog.objects.create(model="m-0", key=key, key_name=key.name, status=502)
    RequestLog.objects.create(model="nope", status=404, error_message="No enabled key serves the model")  # no key
    RequestLog.objects.create(model="", operation="models", status=200)  # GET /v1/models
    old = RequestLog.objects.create(model="m-0", key=key, status=500)
    RequestLog.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))  # outside both windows

    overview = admin_client.get(reverse("overview")).content.decode()
    log = admin_client.get(reverse("request-log")).content.decode()

    stat = overview.split('id="stat-calls"')[1].split("</a>")[0]
    assert ">4 <" in stat and "2 errors" in stat
    assert '<p id="log-counts">4 calls, 2 errors.</p>' in log
    definition = "Calls are every entry of the request log in the window"
    assert definition in overview and definition in log


def test_the_request_log_names_the_endpoint_and_a_call_without_model(admin_client):
    RequestLog.objects.create(model="", operation="models", status=200)
    RequestLog.objects.create(model="gemini-2.0-flash", operation="chat", status=200)
    html = admin_client.get(reverse("request-log")).content.decode()
    table = html.split('id="request-table"')[1]
    assert "<th scope=\"col\">Endpoint</th>" in table
    assert "GET /v1/models" in table and "POST /v1/chat/completions" in table
    assert 'title="This call names no model">\u2013<' in table


def test_a_call_refused_before_any_attempt_does_not_claim_one(admin_client):
    entry = RequestLog.objects.create(model="nope", status=404, error_message="No enabled key serves 'nope'.",
                                      attempts=1, failovers=0, route=[])
    html = admin_client.get(reverse("request-log-detail", args=[entry.pk])).content.decode()
    route = html.split('id="route-card"')[1]
    assert "1 attempt" not in route and "0 failovers" not in route
    assert "No upstream attempt" in route and "before any key or region was tried" in route


def test_long_audit_values_can_be_expanded(admin_client):
    long_value = ", ".join(f"model-{i}" for i in range(60))
    AuditLog.objects.create(action="update", object_type="vertexkey", object_repr="k",
                            changes={"allowedModels": ["a", long_value], "weight": [1, 2]})
    html = admin_client.get(reverse("audit-log")).content.decode()
    details = html.split('<details class="long-change">')[1].split("</details>")[0]
    assert long_value in details  # in full, behind "show all"
    assert "show all" in details
    # Short values stay inline: only the long one is behind "show all" (PostgreSQL's jsonb does not
    # keep the keys' order, so the check does not rely on it).
    assert html.count('<details class="long-change">') == 1


def test_a_search_without_match_says_so_and_lists_no_key_as_having_zero_models(admin_client):
    _keys(3)
    html = admin_client.get(reverse("models"), {"q": "no-such-model"}).content.decode()
    assert 'id="no-key-match"' in html and "No key has a model matching" in html
    assert 'id="listings-table"' not in html
    ModelListing.objects.filter(key__name="key-001").update(entries=[
        {"id": "special-one", "display_name": "Special", "source": "deployment", "target": "gemini-2.0-flash"}])
    html = admin_client.get(reverse("models"), {"q": "special"}).content.decode()
    table = html.split('id="listings-table"')[1].split("</table>")[0]
    assert "key-001" in table and "key-000" not in table and "key-002" not in table
    assert "2 keys without a match are not shown" in html

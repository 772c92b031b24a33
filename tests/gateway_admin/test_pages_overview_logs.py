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
from gateway_admin.selectors.dashboard import RequestLogFilters, overview_key_rows, request_log_chart

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

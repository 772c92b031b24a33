"""The model-listing API: per key, all keys, refresh, preview; roles; fixed SQL query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gateway_admin.models import KeyHealth, ModelListing, VertexKey
from gateway_admin.selectors.models import models_all, models_for_v1
from gateway_admin.services.listings import models_refresh

pytestmark = pytest.mark.django_db

MODELS = "/api/v1/models/"
PREVIEW = "/api/v1/keys/preview-models/"
SEED_EXAMPLE_3 = {
    "project_id": "my-project",
    "region": "us-central1",
    "deployments": {
        "gemini-2.0-flash": "gemini-2.0-flash",
        "claude-3-5-sonnet": "claude-3-5-sonnet-v2@20241022",
        "gemini-2.5-pro": "gemini-2.5-pro",
    },
    "allowedModels": ["gemini-2.0-flash", "claude-3-5-sonnet"],
}


@pytest.fixture(autouse=True)
def in_process_tasks(settings):  # type: ignore[no-untyped-def]
    from gateway_admin.celery import app

    saved = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def key_models_url(key_id: int) -> str:
    return f"/api/v1/keys/{key_id}/models/"


def make_keys(count: int, entries: int, *, start: int = 0, enabled: bool = True) -> list[VertexKey]:
    """Keys with stored listings and health, written directly (no Vertex involved)."""
    keys = VertexKey.objects.bulk_create(
        VertexKey(name=f"key-{start + i:03d}", project_id="demo-project", region="us-central1", enabled=enabled)
        for i in range(count)
    )
    now = timezone.now()
    ModelListing.objects.bulk_create(
        ModelListing(
            key=key,
            fetched_at=now,
            entries=[
                {"id": f"model-{j}", "display_name": f"Model {j}", "source": "deployment", "target": f"model-{j}",
                 "endpoint_id": "", "description": "", "created": None}
                for j in range(entries)
            ],
        )
        for key in keys
    )
    KeyHealth.objects.bulk_create(
        KeyHealth(key=key, checked_at=now, token_ok=True, list_status=200, list_latency_ms=3.0) for key in keys
    )
    return keys


def queries_of(call: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


# --- reading -----------------------------------------------------------------------------------


def test_a_developer_reads_a_keys_models(developer_client, vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    models_refresh(key_id=demo_key.pk)

    response = developer_client.get(key_models_url(demo_key.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["key_id"] == demo_key.pk and body["key_name"] == "demo"
    assert [e["id"] for e in body["entries"]][-3:] == ["gemini-2.0-flash", "claude-sonnet-4-5", "claude-3-5-haiku"]
    assert body["count"] == len(body["entries"]) == 6
    assert body["stale"] is False and body["fetched_at"] and body["refreshing"] is False
    assert "auth_credentials" not in response.content.decode()
    assert "private_key" not in response.content.decode()


def test_an_api_token_reads_the_all_keys_listing(client, developer_token) -> None:  # type: ignore[no-untyped-def]
    make_keys(2, 3)
    make_keys(1, 2, start=10, enabled=False)

    response = client.get(MODELS, HTTP_AUTHORIZATION=f"Bearer {developer_token}")

    assert response.status_code == 200
    body = response.json()
    assert [k["key_name"] for k in body["keys"]] == ["key-000", "key-001", "key-010"]
    assert body["keys"][0]["health"]["ok"] is True
    # Merged over the enabled keys only, one entry per id, naming the keys that carry it.
    assert [m["id"] for m in body["models"]] == ["model-0", "model-1", "model-2"]
    assert body["models"][0]["key_names"] == ["key-000", "key-001"]


def test_anonymous_callers_are_refused(client, demo_key) -> None:  # type: ignore[no-untyped-def]
    for response in (client.get(MODELS), client.get(key_models_url(demo_key.pk)),
                     client.post(key_models_url(demo_key.pk) + "refresh/"),
                     client.post(PREVIEW, {}, content_type="application/json")):
        assert response.status_code in (401, 403)


def test_an_unknown_key_is_404(developer_client) -> None:  # type: ignore[no-untyped-def]
    assert developer_client.get(key_models_url(424242)).status_code == 404
    assert developer_client.get(key_models_url(424242)).json()["code"] == "not_found"


# --- refresh -----------------------------------------------------------------------------------


def test_a_developer_may_not_preview(developer_client, demo_key) -> None:  # type: ignore[no-untyped-def]
    response = developer_client.post(PREVIEW, {"vertex_key_config": SEED_EXAMPLE_3}, content_type="application/json")
    assert response.status_code == 403


def test_a_developer_may_refresh_as_on_the_models_page(
    client, vertex, demo_key, developer_client, developer_token, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = developer_client.post(key_models_url(demo_key.pk) + "refresh/")
    assert response.status_code == 202, response.content
    assert len(vertex.requests("/models")) == 1
    assert developer_client.get(key_models_url(demo_key.pk)).json()["count"] == 6

    # With a developer's API token as well; nothing about the key's configuration changes.
    before = demo_key.updated_at
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(key_models_url(demo_key.pk) + "refresh/",
                               headers={"Authorization": f"Bearer {developer_token}"})
    assert response.status_code == 202, response.content
    assert len(vertex.requests("/models")) == 2
    # And on the Models page, which has always let developers refresh.
    with django_capture_on_commit_callbacks(execute=True):
        response = developer_client.post(reverse("models-refresh"), {"key_id": demo_key.pk})
    assert response.status_code == 200 and response.json()["queued"] == [demo_key.pk]
    assert len(vertex.requests("/models")) == 3
    demo_key.refresh_from_db()
    assert demo_key.updated_at == before


def test_an_admin_refresh_answers_202_and_the_refresh_follows(
    admin_client, vertex, demo_key, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(key_models_url(demo_key.pk) + "refresh/")

        assert response.status_code == 202
        body = response.json()
        assert body["refreshing"] is True and body["refresh_requested_at"] and body["count"] == 0

    # One refresh is enqueued (the other callbacks tell the routing state to reload).
    assert [c.__name__ for c in callbacks if c.__name__ != "_bump"] == ["enqueue"]
    body = admin_client.get(key_models_url(demo_key.pk)).json()
    assert body["count"] == 6 and body["stale"] is False and body["refreshing"] is False
    assert len(vertex.requests("/models")) == 1


def test_a_failing_refresh_shows_the_stale_listing_and_its_error(
    admin_client, vertex, demo_key, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    models_refresh(key_id=demo_key.pk)
    vertex.add_fault(status=429, retry_after=1, path_contains="/models")

    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(key_models_url(demo_key.pk) + "refresh/").status_code == 202

    body = admin_client.get(key_models_url(demo_key.pk)).json()
    assert body["count"] == 6 and body["stale"] is True
    assert "429" in body["last_error"]


# --- preview -----------------------------------------------------------------------------------


def test_preview_of_seed_example_3_lists_only_the_allowed_models(admin_client) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post(PREVIEW, {"vertex_key_config": SEED_EXAMPLE_3}, content_type="application/json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(e["id"], e["display_name"]) for e in body["entries"]] == [
        ("gemini-2.0-flash", "Gemini 2.0 Flash"),
        ("claude-3-5-sonnet", "Claude 3.5 Sonnet v2"),
    ]
    assert body["custom_models"] == "none" and body["custom_error"] == ""
    assert VertexKey.objects.count() == 0 and ModelListing.objects.count() == 0


def test_preview_names_every_bad_field(admin_client) -> None:  # type: ignore[no-untyped-def]
    bad = {**SEED_EXAMPLE_3, "region": "mars-central1", "deployments": {"x": "not a model!"}, "surprise": 1}

    response = admin_client.post(PREVIEW, {"vertex_key_config": bad}, content_type="application/json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "vertex_key_config.region" in errors
    assert any(field.startswith("vertex_key_config.deployments") for field in errors)
    assert "vertex_key_config.surprise" in errors


def test_preview_without_a_config_says_which_field_is_missing(admin_client) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post(PREVIEW, {"fetch_custom": "maybe"}, content_type="application/json")

    assert response.status_code == 400
    assert {"vertex_key_config", "fetch_custom"} <= set(response.json()["errors"])


def test_preview_while_editing_uses_the_saved_keys_custom_models(admin_client, vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    models_refresh(key_id=demo_key.pk)
    vertex.clear_requests()
    config = {"project_id": "demo-project", "region": "us-central1",
              "deployments": {"support": "1234567890", "gemini-2.5-pro": "gemini-2.5-pro"},
              "allowedModels": ["support", "3456789012", "gemini-2.5-pro"]}

    body = admin_client.post(PREVIEW, {"vertex_key_config": config, "key_id": demo_key.pk},
                             content_type="application/json").json()

    assert body["custom_models"] == "stored"
    assert [(e["id"], e["source"]) for e in body["entries"]] == [
        ("support", "custom"), ("3456789012", "custom"), ("gemini-2.5-pro", "deployment")
    ]
    assert vertex.requests("/models") == []  # no Vertex call while typing


def test_preview_with_fetch_custom_calls_vertex_with_the_saved_credential(admin_client, vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    vertex.set_custom_models("demo-project", "us-central1", [{
        "displayName": "Fresh", "deployedModels": [{"endpoint": "projects/p/locations/l/endpoints/555"}]}])
    config = {"project_id": "demo-project", "region": "us-central1", "deployments": {"fresh": "555"}}

    body = admin_client.post(PREVIEW, {"vertex_key_config": config, "key_id": demo_key.pk, "fetch_custom": True},
                             content_type="application/json").json()

    assert body["custom_models"] == "live" and body["custom_error"] == ""
    assert [(e["id"], e["display_name"], e["source"]) for e in body["entries"]] == [("fresh", "Fresh", "custom")]
    assert len(vertex.requests("/models")) == 1


def test_preview_with_fetch_custom_reports_why_custom_models_are_missing(admin_client, vertex, emulator_settings) -> None:  # type: ignore[no-untyped-def]
    vertex.add_fault(status=403, path_contains="/models")
    config = {**SEED_EXAMPLE_3, "project_id": "demo-project", "auth_credentials": vertex.service_account_json}

    body = admin_client.post(PREVIEW, {"vertex_key_config": config, "fetch_custom": True},
                             content_type="application/json").json()

    assert body["custom_models"] == "live"
    assert "403" in body["custom_error"]
    assert [e["id"] for e in body["entries"]] == ["gemini-2.0-flash", "claude-3-5-sonnet"]
    assert vertex.service_account["private_key"][40:80] not in str(body)


# --- fixed number of SQL queries ---------------------------------------------------------------


def test_the_models_api_makes_a_fixed_number_of_queries(developer_client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    keys = make_keys(2, 2)
    small_all = queries_of(lambda: developer_client.get(MODELS))
    small_one = queries_of(lambda: developer_client.get(key_models_url(keys[0].pk)))
    assert small_all >= 1 and small_one >= 1

    keys += make_keys(40, 100, start=100)
    with django_assert_max_num_queries(small_all):
        response = developer_client.get(MODELS)
    assert len(response.json()["keys"]) == 42 and len(response.json()["models"]) == 100
    with django_assert_max_num_queries(small_one):
        assert developer_client.get(key_models_url(keys[-1].pk)).json()["count"] == 100


def test_the_selectors_read_everything_in_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    make_keys(30, 50)
    make_keys(5, 10, start=100, enabled=False)

    with django_assert_num_queries(1):
        assert len(models_all()) == 35
    with django_assert_num_queries(1):
        merged = models_for_v1()
    assert len(merged) == 50
    assert len(merged[0]["key_ids"]) == 30


def test_the_openapi_schema_documents_the_models_api(admin_client) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/keys/{id}/models/"]) >= {"get"}
    refresh = paths["/api/v1/keys/{id}/models/refresh/"]["post"]
    assert "202" in refresh["responses"] and refresh["description"].startswith("Developers and admins.")
    assert "400" in paths["/api/v1/keys/preview-models/"]["post"]["responses"]
    listing = schema["components"]["schemas"]["KeyListing"]["properties"]
    assert {"entries", "stale", "last_error", "fetched_at", "refreshing"} <= set(listing)


def test_the_models_page_makes_a_fixed_number_of_queries(developer_client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    make_keys(2, 2)
    small = queries_of(lambda: developer_client.get(reverse("models")))
    assert small >= 1

    make_keys(40, 100, start=100)
    with django_assert_max_num_queries(small):
        response = developer_client.get(reverse("models"))
    assert response.status_code == 200
    assert b"key-139" in response.content and b"model-99" in response.content

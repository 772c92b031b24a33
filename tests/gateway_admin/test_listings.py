"""services.listings and tasks.listings: refresh, stale on failure, health, enqueue on commit (eager)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from gateway_admin.models import KeyHealth, ModelListing, VertexKey
from gateway_admin.services.keys import key_create, key_update
from gateway_admin.services.listings import key_health_check, listing_refresh_enqueue, models_refresh
from gateway_admin.tasks import listings as tasks

pytestmark = pytest.mark.django_db

REGION = "us-central1"
DEMO_CUSTOM = ["1234567890", "2345678901", "3456789012"]  # the emulator's deployed demo models
DEMO_ALIASES = ["gemini-2.0-flash", "claude-sonnet-4-5", "claude-3-5-haiku"]


@pytest.fixture(autouse=True)
def in_process_tasks(settings):  # type: ignore[no-untyped-def]
    """The embedded mode: tasks run in process, whatever broker the environment names."""
    from gateway_admin.celery import app

    saved = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def tuned(endpoint_id: str) -> dict:
    return {
        "name": f"projects/demo-project/locations/{REGION}/models/m{endpoint_id}",
        "displayName": f"Tuned {endpoint_id}",
        "deployedModels": [{"endpoint": f"projects/demo-project/locations/{REGION}/endpoints/{endpoint_id}"}],
    }


def entry_ids(key_id: int) -> list[str]:
    return [e["id"] for e in ModelListing.objects.get(key_id=key_id).entries]


def test_a_refresh_stores_custom_models_and_configured_ones_and_records_health(vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    outcome = models_refresh(key_id=demo_key.pk)

    assert outcome is not None and outcome.ok, outcome
    listing = ModelListing.objects.get(key=demo_key)
    assert [e["id"] for e in listing.entries] == DEMO_CUSTOM + DEMO_ALIASES
    assert [e["source"] for e in listing.entries] == ["custom"] * 3 + ["deployment"] * 3
    assert listing.entries[0]["display_name"] == "support-tuned-gemini"
    assert listing.entries[3]["display_name"] == "Gemini 2.0 Flash"
    assert listing.fetched_at is not None and not listing.stale and listing.last_error == ""
    health = KeyHealth.objects.get(key=demo_key)
    assert (health.token_ok, health.list_status, health.token_error) == (True, 200, "")
    assert health.list_latency_ms is not None and health.list_latency_ms > 0
    assert health.last_success_at is not None


def test_seed_example_1_through_a_saved_key(vertex, emulator_settings, admin_user) -> None:  # type: ignore[no-untyped-def]
    vertex.set_custom_models("demo-project", REGION, [tuned("1234567890"), tuned("9876543210")])
    key, _ = key_create(actor=admin_user, name="seed-1", config={
        "project_id": "demo-project", "region": REGION, "auth_credentials": vertex.service_account_json,
        "deployments": {"my-gemini-ft": "1234567890", "my-claude-ft": "9876543210"},
    })

    models_refresh(key_id=key.pk)

    entries = ModelListing.objects.get(key=key).entries
    assert [(e["id"], e["source"], e["endpoint_id"]) for e in entries] == [
        ("my-gemini-ft", "custom", "1234567890"),
        ("my-claude-ft", "custom", "9876543210"),
    ]


def test_a_failed_refresh_keeps_the_last_good_entries_marked_stale(vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    models_refresh(key_id=demo_key.pk)
    good = ModelListing.objects.get(key=demo_key)
    vertex.add_fault(status=503, path_contains="/models")

    outcome = models_refresh(key_id=demo_key.pk)

    assert outcome is not None and not outcome.ok and outcome.retryable
    listing = ModelListing.objects.get(key=demo_key)
    assert listing.entries == good.entries
    assert listing.fetched_at == good.fetched_at
    assert listing.stale
    assert "503" in listing.last_error and listing.last_error_at is not None
    health = KeyHealth.objects.get(key=demo_key)
    assert (health.token_ok, health.list_status) == (True, 503)
    assert health.last_error == listing.last_error

    vertex.clear_faults()
    models_refresh(key_id=demo_key.pk)
    listing.refresh_from_db()
    assert not listing.stale and listing.last_error == "" and listing.fetched_at > good.fetched_at


def test_a_key_that_never_listed_shows_its_configured_models_as_stale(vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    vertex.add_fault(status=403, path_contains="/models")

    outcome = models_refresh(key_id=demo_key.pk)

    listing = ModelListing.objects.get(key=demo_key)
    assert outcome is not None and not outcome.ok and not outcome.retryable
    assert [e["id"] for e in listing.entries] == DEMO_ALIASES
    assert listing.stale and listing.fetched_at is None
    assert "403" in listing.last_error


def test_an_unknown_service_account_is_recorded_as_a_token_failure(
    vertex, emulator_settings, admin_user, service_account_factory  # type: ignore[no-untyped-def]
) -> None:
    stranger = service_account_factory(name="stranger", token_uri=vertex.token_uri)
    key, _ = key_create(actor=admin_user, name="stranger", config={
        "project_id": "demo-project", "region": REGION, "auth_credentials": json.dumps(stranger),
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash"},
    })

    check = key_health_check(key_id=key.pk)

    health = KeyHealth.objects.get(key=key)
    assert check is not None and not check.token_ok
    assert health.token_ok is False and health.token_error == check.token_error != ""
    assert health.list_status is None
    assert stranger["private_key"][40:80] not in health.token_error
    assert not vertex.requests("/models")


def test_changing_deployments_refreshes_the_listing_on_commit(
    vertex, demo_key, admin_user, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    models_refresh(key_id=demo_key.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        key_update(actor=admin_user, key=demo_key, partial=True,
                   config={"deployments": {"gemini-2.5-pro": "gemini-2.5-pro"}, "deployment_regions": {}})

    assert callbacks, "key_update must ask for a refresh on commit"
    assert entry_ids(demo_key.pk) == [*DEMO_CUSTOM, "gemini-2.5-pro"]


def test_allowed_models_restrict_the_stored_listing(
    vertex, demo_key, admin_user, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        key_update(actor=admin_user, key=demo_key, partial=True,
                   config={"allowedModels": ["claude-sonnet-4-5", "2345678901", "gemini-2.5-flash"]})

    assert entry_ids(demo_key.pk) == ["2345678901", "claude-sonnet-4-5", "gemini-2.5-flash"]


def test_enqueueing_inside_a_transaction_waits_for_the_commit(
    vertex, demo_key, django_capture_on_commit_callbacks, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    from gateway_admin.celery import app

    app.conf.task_always_eager = False  # with a broker (in_process_tasks restores it)
    sent: list[tuple] = []
    monkeypatch.setattr(app, "send_task", lambda *a, **kw: sent.append((a, kw)))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        listing_refresh_enqueue(key_id=demo_key.pk)
        assert sent == []

    # Only the id crosses the broker: no object, no secret.
    assert sent == [(("gateway_admin.models_refresh",), {"args": (demo_key.pk,)})]
    assert ModelListing.objects.get(key=demo_key).refresh_requested_at is not None


def test_a_broker_outage_does_not_break_the_write_that_asked_for_a_refresh(
    demo_key, django_capture_on_commit_callbacks, monkeypatch, caplog  # type: ignore[no-untyped-def]
) -> None:
    from gateway_admin.celery import app

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("broker down")

    app.conf.task_always_eager = False  # with a broker, which is down (in_process_tasks restores it)
    monkeypatch.setattr(app, "send_task", down)

    with django_capture_on_commit_callbacks(execute=True):
        listing_refresh_enqueue(key_id=demo_key.pk)

    assert "could not enqueue" in caplog.text


def test_without_a_broker_a_refresh_runs_in_process_and_never_touches_kombu(
    vertex, demo_key, django_capture_on_commit_callbacks, monkeypatch, caplog  # type: ignore[no-untyped-def]
) -> None:
    from gateway_admin.celery import app

    def no_broker(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedded mode must not build a broker connection or producer")

    for name in ("connection_for_write", "producer_or_acquire", "_acquire_connection"):
        monkeypatch.setattr(app, name, no_broker)
    ModelListing.objects.filter(key=demo_key).update(fetched_at=None, entries=[])

    with django_capture_on_commit_callbacks(execute=True):
        listing_refresh_enqueue(key_id=demo_key.pk)
    assert tasks.keys_refresh_all_task.apply().get() == 1

    assert entry_ids(demo_key.pk) == DEMO_CUSTOM + DEMO_ALIASES
    assert len([r for r in vertex.requests("/models") if r["method"] == "GET"]) == 2
    assert "could not enqueue" not in caplog.text
    assert not [r for r in caplog.records if r.name.startswith("kombu")]


def test_a_refresh_of_a_deleted_key_does_nothing(db) -> None:  # type: ignore[no-untyped-def]
    assert models_refresh(key_id=987654) is None
    assert key_health_check(key_id=987654) is None
    assert tasks.models_refresh_task.apply(args=[987654]).get() is None


def test_the_eager_task_does_not_retry_inside_a_request(vertex, demo_key) -> None:  # type: ignore[no-untyped-def]
    vertex.add_fault(status=503, path_contains="/models")

    result = tasks.models_refresh_task.apply(args=[demo_key.pk]).get()

    assert result == {"key_id": demo_key.pk, "ok": False, "entries": 3}
    assert len([r for r in vertex.requests("/models") if r["method"] == "GET"]) == 1


def test_the_task_retries_a_retryable_failure_when_run_by_a_worker(vertex, demo_key, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from celery.exceptions import Retry

    vertex.add_fault(status=503, path_contains="/models")
    task = tasks.models_refresh_task
    monkeypatch.setattr(task, "retry", lambda **kw: Retry(when=kw.get("countdown")))
    task.push_request(is_eager=False, retries=0)
    try:
        with pytest.raises(Retry) as info:
            task.run(demo_key.pk)
    finally:
        task.pop_request()
    assert info.value.when == tasks.RETRY_BASE_SECONDS


def test_the_periodic_tasks_refresh_every_key_and_check_the_enabled_ones(
    vertex, demo_key, emulator_settings, admin_user  # type: ignore[no-untyped-def]
) -> None:
    other, _ = key_create(actor=admin_user, name="other", enabled=False, config={
        "project_id": "demo-project", "region": REGION, "auth_credentials": vertex.service_account_json,
        "deployments": {"gemini-2.0-flash": "gemini-2.0-flash"},
    })

    assert tasks.keys_refresh_all_task.apply().get() == 2
    assert tasks.keys_health_task.apply().get() == 1

    assert set(ModelListing.objects.values_list("key_id", flat=True)) == {demo_key.pk, other.pk}
    assert KeyHealth.objects.get(key=demo_key).list_status == 200
    assert VertexKey.objects.get(pk=other.pk).listing.fetched_at is not None


def test_the_beat_schedule_runs_both_periodic_tasks(settings) -> None:  # type: ignore[no-untyped-def]
    from gateway_admin.celery import app

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["gateway_admin.keys_refresh_all"] == float(settings.MODELS_REFRESH_INTERVAL_SECONDS)
    assert "gateway_admin.keys_health" in schedule
    assert {"gateway_admin.keys_refresh_all", "gateway_admin.keys_health", "gateway_admin.models_refresh"} <= set(
        app.tasks.keys()
    )


def test_a_new_key_is_listed_as_soon_as_it_is_saved_without_a_broker(
    vertex, emulator_settings, admin_user, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    vertex.set_custom_models("demo-project", REGION, [tuned("42")])

    with django_capture_on_commit_callbacks(execute=True):
        key, _ = key_create(actor=admin_user, name="fresh", config={
            "project_id": "demo-project", "region": REGION, "auth_credentials": vertex.service_account_json,
            "deployments": {"gemini-2.0-flash": "gemini-2.0-flash"}, "allowedModels": [],
        })

    listing = ModelListing.objects.get(key=key)
    assert [e["id"] for e in listing.entries] == ["42", "gemini-2.0-flash"]
    assert listing.fetched_at is not None and listing.refresh_requested_at is not None

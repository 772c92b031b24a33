"""A real Celery worker (subprocess) refreshes model listings from Redis, against the emulator.

The worker must see the rows this test commits, so both processes share one database:
- PostgreSQL (CI): pytest-django's test database, with `transactional_db` so rows are committed;
  the worker gets that database's name in DATABASE_URL.
- SQLite: pytest-django's test database lives in memory, invisible to another process, so for this
  test the "default" connection is swapped for a migrated SQLite file (the in-memory database stays
  open underneath and comes back afterwards).
The worker consumes a queue of its own, so that no other worker on the same Redis takes its tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections

from gateway_admin.celery import app as celery_app
from gateway_admin.models import ModelListing
from gateway_admin.services.keys import key_create, key_update
from gateway_admin.services.listings import listing_refresh_enqueue

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/1")
REGION = "us-central1"


def _redis_reachable(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _database_url(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    if "postgresql" not in engine:
        pytest.skip(f"the worker test knows SQLite and PostgreSQL, not {engine}")
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{settings_dict['NAME']}"


@pytest.fixture
def shared_database(transactional_db, django_db_blocker, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A database URL the worker subprocess can open, holding what this test commits."""
    connection = connections["default"]
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield _database_url(connection.settings_dict)
        return
    path = tmp_path / "worker.sqlite3"
    with django_db_blocker.unblock():
        original = connections["default"]
        file_db = original.__class__({**original.settings_dict, "NAME": str(path)}, "default")
        connections["default"] = file_db
        try:
            call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
            yield f"sqlite:///{path}"
        finally:
            file_db.close()
            connections["default"] = original


@pytest.fixture
def celery_worker_process(shared_database: str, vertex, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`celery -A gateway_admin worker --pool=solo` on its own queue; yields the queue name."""
    problem = _redis_reachable(BROKER_URL)
    if problem:
        pytest.skip(f"Redis broker {BROKER_URL} unreachable ({problem}); set CELERY_TEST_BROKER_URL")
    queue = f"listing-test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gateway_admin.settings",
        "DATABASE_URL": shared_database,
        "CELERY_BROKER_URL": BROKER_URL,
        "VERTEX_BASE_URL": vertex.base_url,
        "ALLOWED_TOKEN_URIS": vertex.token_uri,
        # The worker decrypts the credentials this process encrypted.
        "CREDENTIAL_KEYS": ",".join(settings.CREDENTIAL_KEYS),
        "SECRET_KEY": settings.SECRET_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "gateway_admin", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 45
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _drop_queue(queue)
        print(log.read_text()[-4000:])  # shown by pytest when the test fails


def _drop_queue(queue: str) -> None:
    """Leave nothing behind on the shared Redis: the retry a failing refresh scheduled goes back to
    the queue when the worker stops."""
    import redis

    client = redis.Redis.from_url(BROKER_URL)
    client.delete(queue, *client.keys(f"*{queue}*"))


@pytest.fixture
def broker_app(celery_worker_process: str, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """This process enqueues through Redis to the worker's queue, never eagerly."""
    settings.CELERY_BROKER_URL = BROKER_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    conf = celery_app.conf
    saved = {k: conf.get(k) for k in ("broker_url", "task_always_eager", "task_default_queue")}
    conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=celery_worker_process)
    _forget_connections()
    try:
        yield
    finally:
        conf.update(**saved)
        _forget_connections()


def _forget_connections() -> None:
    """Drop the app's broker pools so the next send connects with the current broker_url."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(predicate: Callable[[ModelListing], bool], key_id: int, *, timeout: float = 30.0) -> ModelListing:
    deadline = time.monotonic() + timeout
    while True:
        listing = ModelListing.objects.filter(key_id=key_id).first()
        if listing is not None and predicate(listing):
            return listing
        if time.monotonic() > deadline:
            state = listing and {"entries": [e["id"] for e in listing.entries], "stale": listing.stale,
                                 "error": listing.last_error, "fetched_at": listing.fetched_at}
            raise AssertionError(f"the worker did not get there in {timeout:.0f} s; listing: {state}")
        time.sleep(0.2)


def tuned(endpoint_id: str) -> dict:
    return {
        "name": f"projects/demo-project/locations/{REGION}/models/m{endpoint_id}",
        "displayName": f"Tuned {endpoint_id}",
        "deployedModels": [{"endpoint": f"projects/demo-project/locations/{REGION}/endpoints/{endpoint_id}"}],
    }


def test_a_real_worker_refreshes_on_change_and_keeps_the_stale_listing_on_failure(
    broker_app, vertex, settings  # type: ignore[no-untyped-def]
) -> None:
    # Not the admin_user fixture: it would open pytest-django's wrapping transaction, and the worker
    # must see committed rows.
    admin_user = get_user_model().objects.create_superuser("worker-admin", "wa@example.com", "x" * 20)
    settings.VERTEX_BASE_URL = vertex.base_url
    settings.ALLOWED_TOKEN_URIS = [vertex.token_uri]
    assert celery_app.conf.task_always_eager is False
    vertex.set_custom_models("demo-project", REGION, [tuned("1234567890"), tuned("9876543210")])
    config = {
        "project_id": "demo-project",
        "region": REGION,
        "auth_credentials": vertex.service_account_json,
        "deployments": {"my-gemini-ft": "1234567890", "gemini-2.0-flash": "gemini-2.0-flash"},
    }

    key, _ = key_create(actor=admin_user, name="worker-key", config=config)

    listing = wait_for(lambda lst: lst.fetched_at is not None, key.pk)
    assert [e["id"] for e in listing.entries] == ["my-gemini-ft", "9876543210", "gemini-2.0-flash"]
    assert not listing.stale
    first_fetch = listing.fetched_at

    # Changing the deployments commits, which enqueues a refresh that the worker carries out.
    key_update(actor=admin_user, key=key, partial=True,
               config={"deployments": {**config["deployments"], "my-claude-ft": "9876543210"}})

    listing = wait_for(lambda lst: lst.fetched_at > first_fetch and "my-claude-ft" in [e["id"] for e in lst.entries],
                       key.pk)
    good_entries = listing.entries
    assert [e["id"] for e in good_entries] == ["my-gemini-ft", "my-claude-ft", "gemini-2.0-flash"]
    assert {e["source"] for e in good_entries[:2]} == {"custom"}

    # Vertex fails: the worker keeps the last good listing, marked stale with the error.
    vertex.add_fault(status=503, path_contains="/models")
    listing_refresh_enqueue(key_id=key.pk)

    listing = wait_for(lambda lst: lst.stale, key.pk)
    assert listing.entries == good_entries
    assert "503" in listing.last_error
    assert listing.last_error_at is not None
    assert vertex.requests("/models")  # the worker did call the emulator

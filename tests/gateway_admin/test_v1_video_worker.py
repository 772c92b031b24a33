"""A real Celery worker (subprocess, Redis broker) polls a Veo operation until the video is stored.

The worker, broker and shared-database fixtures are the List Models worker test's (test_worker.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from kombu import pools as kombu_pools

from gateway_admin import routing_config
from gateway_admin.celery import app as celery_app
from gateway_admin.models import VideoJob
from gateway_admin.services.keys import key_create
from gateway_admin.services.videos import video_job_create
from tests.gateway_admin.test_worker import (  # noqa: F401 - fixtures
    broker_app,
    celery_worker_process,
    shared_database,
)

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def _celery_conf_restored() -> Any:
    """Snapshot the Celery configuration before the broker fixture changes it, and put it back."""
    keys = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {k: celery_app.conf.get(k) for k in keys}
    yield
    celery_app.conf.update(**saved)
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps producer pools per broker URL in a global registry: drop them with the connections,
    # or the next test sending to the same broker acquires from a closed pool.
    kombu_pools.reset()


@pytest.fixture
def fast_worker_polls(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Read by the worker at start (it inherits this environment) and by this process."""
    monkeypatch.setenv("VIDEO_POLL_INTERVAL_SECONDS", "0.2")
    settings.VIDEO_POLL_INTERVAL_SECONDS = 0.2


def test_a_worker_polls_the_veo_operation_and_stores_the_video(
    _celery_conf_restored: Any, fast_worker_polls: None, broker_app: None, vertex: Any, settings: Any  # noqa: F811
) -> None:
    settings.VERTEX_BASE_URL = vertex.base_url
    settings.ALLOWED_TOKEN_URIS = [vertex.token_uri]
    assert celery_app.conf.task_always_eager is False
    # Committed rows (no wrapping transaction): the worker reads them from its own connection.
    owner = get_user_model().objects.create_superuser("video-owner", "vo@example.com", "x" * 20)
    key, _ = key_create(actor=owner, name="veo", config={
        "project_id": "demo-project", "region": "us-central1", "auth_credentials": vertex.service_account_json,
        "deployments": {"veo-2": "veo-2.0-generate-001"},
    })
    result = asyncio.run(routing_config.router().video_start({"model": "veo-2", "prompt": "a paper boat"}))
    job = video_job_create(token_id=None, user_id=owner.pk, model="veo-2", key_id=result.key_id,
                           region=result.region, target=result.target, answer=result.response,
                           prompt="a paper boat", seconds=None, size=None)
    assert job.status == "queued"

    deadline = time.monotonic() + 60
    while (job := VideoJob.objects.get(pk=job.pk)).status not in ("completed", "failed"):
        assert time.monotonic() < deadline, f"the worker did not finish the video (status {job.status})"
        time.sleep(0.2)
    assert job.status == "completed", job.error_message
    assert bytes(job.content)[4:8] == b"ftyp"
    assert job.polls >= 2
    assert len(vertex.requests(":fetchPredictOperation")) == job.polls
    assert job.key_id == key.pk

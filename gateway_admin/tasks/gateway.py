"""Gateway tasks: request-log pruning (periodic) and Veo video polling."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from gateway_admin.services.request_log import request_log_prune
from gateway_admin.services.videos import (
    poll_interval,
    video_job_expired,
    video_job_fail,
    video_job_poll,
    video_jobs_prune,
    video_poll_schedule,
)
from routing.errors import RoutingError

logger = logging.getLogger(__name__)

__all__ = ["request_log_prune_task", "video_poll_task"]

# A transient Vertex failure while polling (429/5xx/network) is retried this many times in a row.
MAX_POLL_FAILURES = 5


@shared_task(name="gateway_admin.request_log_prune", ignore_result=True)
def request_log_prune_task() -> int:
    """Periodic: delete request-log rows (and video jobs) older than REQUEST_LOG_RETENTION_DAYS."""
    days = int(settings.REQUEST_LOG_RETENTION_DAYS)
    deleted = request_log_prune(days=days)
    video_jobs_prune(days=days)
    logger.info("pruned %d request log rows older than %d days", deleted, days)
    return deleted


@shared_task(bind=True, name="gateway_admin.video_poll", ignore_result=True)
def video_poll_task(self: Any, job_id: str, failures: int = 0) -> str | None:
    """Poll one Veo operation; schedule the next poll until it is done, failed or too old."""
    # The next poll goes to the queue this one came from (a deployment may route video polls).
    queue = (self.request.delivery_info or {}).get("routing_key") or None
    try:
        job = video_job_poll(job_id=job_id)
    except RoutingError as exc:
        if exc.retryable and failures + 1 < MAX_POLL_FAILURES:
            delay = max(poll_interval(), float(exc.retry_after or 0)) * 2 ** failures
            video_poll_schedule(job_id, delay, failures=failures + 1, queue=queue)
            return "retrying"
        video_job_fail(job_id=job_id, code=exc.error_type, message=exc.user_message)
        return "failed"
    if job is None:
        return None
    if not job.finished:
        if video_job_expired(job):
            video_job_fail(job_id=job_id, code="timeout",
                           message="Vertex did not finish this video in time; start it again.")
            return "failed"
        video_poll_schedule(job_id, poll_interval(), queue=queue)
    return job.status


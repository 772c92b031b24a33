"""Video jobs (POST /v1/videos): record the Veo operation, poll it in Celery, keep the result.

The request only starts the operation (`Router.video_start`) and stores a VideoJob; polling is
`tasks.video_poll_task(job_id)`, scheduled on commit and re-scheduled until the operation is done
(`VIDEO_POLL_INTERVAL_SECONDS`, default 5 s; given up after `VIDEO_POLL_TIMEOUT_SECONDS`, 30 min).
Polls are sent with `gateway_admin.celery.enqueue` (which owns the eager mode's timer).
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateway_admin.aio import run_sync
from gateway_admin.models import VideoJob

logger = logging.getLogger(__name__)

DEFAULT_SECONDS = "8"
DEFAULT_SIZE = "1280x720"
STATUSES = set(VideoJob.Status.values)


def poll_interval() -> float:
    return float(settings.VIDEO_POLL_INTERVAL_SECONDS)


def poll_timeout() -> float:
    return float(settings.VIDEO_POLL_TIMEOUT_SECONDS)


def _apply(job: VideoJob, answer: dict[str, Any]) -> None:
    """Copy routing's video answer (status, progress, error, first video) onto the job."""
    status = answer.get("status")
    job.status = status if status in STATUSES else VideoJob.Status.IN_PROGRESS
    job.progress = max(0, min(100, int(answer.get("progress") or 0)))
    if job.status == VideoJob.Status.FAILED:
        error = answer.get("error") or {}
        job.error_code = str(error.get("code") or "video_failed")[:64]
        job.error_message = str(error.get("message") or "Vertex could not generate this video.")
    if job.status == VideoJob.Status.COMPLETED:
        videos = answer.get("videos") or []
        first = videos[0] if videos else {}
        job.content_type = str(first.get("mime_type") or "video/mp4")[:64]
        if first.get("b64_json"):
            try:
                job.content = base64.b64decode(first["b64_json"], validate=True)
            except (binascii.Error, ValueError):
                job.status = VideoJob.Status.FAILED
                job.error_code, job.error_message = "bad_video", "Vertex returned a video that is not valid base64."
        elif first.get("url"):
            job.content_uri = str(first["url"])[:1024]
        job.progress = 100
    if job.finished and job.completed_at is None:
        job.completed_at = timezone.now()


def _text(value: Any) -> Any:
    # PostgreSQL text cannot hold NUL; the prompt was already sent to Vertex as it was.
    return value.replace("\x00", "") if isinstance(value, str) else value


@transaction.atomic
def video_job_create(
    *, token_id: int | None, user_id: int | None, model: str, key_id: str, region: str, target: str,
    answer: dict[str, Any], prompt: str, seconds: Any, size: Any,
) -> VideoJob:
    """Store a started operation (`answer` = Router.video_start's response) and schedule its polling."""
    prompt, seconds, size = (_text(v) for v in (prompt, seconds, size))
    job = VideoJob(
        id="video_" + secrets.token_hex(16),
        token_id=token_id,
        user_id=user_id,
        model=model,
        key_id=int(key_id) if str(key_id).isdigit() else None,
        region=region,
        target=target,
        operation=str(answer.get("id") or ""),
        prompt=prompt,
        seconds=str(seconds) if seconds not in (None, "") else DEFAULT_SECONDS,
        size=str(size) if size not in (None, "", "auto") else DEFAULT_SIZE,
    )
    _apply(job, answer)
    job.save()
    if not job.finished:
        job_id = job.id
        transaction.on_commit(lambda: video_poll_schedule_safely(job_id, poll_interval()))
    return job


def video_poll_schedule_safely(job_id: str, delay: float) -> bool:
    """Schedule a poll; a broker outage is logged, not raised (the job stays and is picked up again
    by `video_job_revive` when its owner looks at it)."""
    try:
        video_poll_schedule(job_id, delay)
    except Exception:
        logger.exception("could not schedule polling of video job %s", job_id)
        return False
    return True


def video_job_stalled(job: VideoJob) -> bool:
    """Not finished and not touched by a poll for far longer than the poll interval."""
    quiet = max(60.0, 5 * poll_interval())
    return not job.finished and (timezone.now() - job.updated_at).total_seconds() > quiet


def video_job_revive(job: VideoJob) -> None:
    """Schedule polling again for a stalled job (a lost task, a broker that was down). The request
    only enqueues: the poll itself still happens in Celery."""
    if video_job_stalled(job) and video_poll_schedule_safely(job.id, 0):
        VideoJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())


def video_job_get(*, video_id: str, user_id: int) -> VideoJob | None:
    """The caller's job (another user's job is as good as missing)."""
    return VideoJob.objects.filter(pk=video_id, user_id=user_id).first()


def video_job_fail(*, job_id: str, code: str, message: str) -> None:
    VideoJob.objects.filter(pk=job_id).exclude(status__in=["completed", "failed"]).update(
        status=VideoJob.Status.FAILED, error_code=code[:64], error_message=message, completed_at=timezone.now(),
        updated_at=timezone.now())


def video_job_poll(*, job_id: str) -> VideoJob | None:
    """Poll the job's operation once where it was started and store the answer. Routing errors
    propagate (the task decides about retrying); returns None for a job that no longer exists."""
    from gateway_admin import routing_config

    job = VideoJob.objects.filter(pk=job_id).first()
    if job is None or job.finished:
        return job
    if job.key_id is None:
        video_job_fail(job_id=job_id, code="key_deleted", message="The key this video was started with was deleted.")
        job.refresh_from_db()
        return job
    router = routing_config.router()
    result = run_sync(lambda: router.video_poll(key_id=str(job.key_id), region=job.region, target=job.target,
                                                operation=job.operation))
    job.polls += 1
    _apply(job, result.response)
    job.save()
    return job


def video_job_expired(job: VideoJob) -> bool:
    return timezone.now() - job.created_at > timedelta(seconds=poll_timeout())


def video_poll_schedule(job_id: str, delay: float, *, failures: int = 0, queue: str | None = None) -> None:
    """Poll `job_id` again in `delay` seconds."""
    from gateway_admin.celery import enqueue

    enqueue("gateway_admin.video_poll", job_id, failures, countdown=delay, queue=queue)


def video_jobs_prune(*, days: int) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    return VideoJob.objects.filter(created_at__lt=cutoff).delete()[0]

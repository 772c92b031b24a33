"""POST /v1/videos, GET /v1/videos/{id}, GET /v1/videos/{id}/content (Veo).

The create call starts the long-running operation and returns at once (status "queued"); a Celery
task polls Vertex (services/videos.py), so callers poll GET /v1/videos/{id} until "completed" and
then download the MP4 from /content. A job is visible only to the user whose token created it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from gateway_admin.aio import run_db
from gateway_admin.models import VideoJob
from gateway_admin.pipeline import GatewayCall, default_model
from gateway_admin.pipeline.errors import GatewayError, invalid_request, not_found
from gateway_admin.services.videos import (
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    video_job_create,
    video_job_get,
    video_job_revive,
    video_job_stalled,
)
from gateway_admin.surfaces.http import model_of

from ..schemas import validate
from .base import answer, v1_endpoint
from .images import read_body


def video_object(job: VideoJob) -> dict[str, Any]:
    """The OpenAI `video` object for a job."""
    error = {"code": job.error_code or "video_failed", "message": job.error_message} if job.status == "failed" else None
    return {
        "id": job.id,
        "object": "video",
        "model": job.model,
        "status": job.status,
        "progress": int(job.progress),
        "created_at": int(job.created_at.timestamp()),
        "completed_at": int(job.completed_at.timestamp()) if job.completed_at else None,
        "expires_at": None,
        "prompt": job.prompt,
        "seconds": job.seconds or DEFAULT_SECONDS,
        "size": job.size or DEFAULT_SIZE,
        "remixed_from_video_id": None,
        "error": error,
    }


@v1_endpoint("videos")
async def videos(request: HttpRequest, call: GatewayCall) -> HttpResponseBase:
    body = await read_body(request, files=("input_reference",))
    if isinstance(body.get("seconds"), str) and not body["seconds"].strip():
        body.pop("seconds")
    call.model = model_of(body)
    reference = body.pop("input_reference", None)
    validate("VideoCreateRequest", body)
    call.keep_request_body(dict(body))
    if reference is not None:
        body["input_reference"] = reference
    model = body.get("model") or await default_model("veo", scope=call.caller.token)
    if not model:
        raise invalid_request("model: no video model (Veo) is configured for this token.", param="model")
    model = body["model"] = await call.resolve(model)
    assert call.router is not None
    result = await call.router.video_start(body)
    token = call.caller.token
    assert token is not None
    job = await run_db(
        video_job_create, token_id=token.id, user_id=token.user_id, model=model, key_id=result.key_id,
        region=result.region, target=result.target, answer=result.response, prompt=body["prompt"],
        seconds=body.get("seconds"), size=body.get("size"),
    )
    return await answer(call, video_object(job), result=result)


async def _job(call: GatewayCall, video_id: str) -> VideoJob:
    token = call.caller.token
    assert token is not None
    job = await run_db(video_job_get, video_id=video_id, user_id=token.user_id)
    if job is None:
        raise not_found(f"No video with id {video_id!r}.", param="video_id")
    call.model = job.model
    return job


@v1_endpoint("videos", methods=("GET",))
async def video_detail(request: HttpRequest, call: GatewayCall, video_id: str) -> HttpResponseBase:
    job = await _job(call, video_id)
    if video_job_stalled(job):
        await run_db(video_job_revive, job)
    return await answer(call, video_object(job))


@v1_endpoint("videos", methods=("GET",))
async def video_content(request: HttpRequest, call: GatewayCall, video_id: str) -> HttpResponseBase:
    variant = request.GET.get("variant", "video")
    if variant != "video":
        raise not_found(f"Vertex produces no {variant!r} for a video; ask for variant=video.", param="variant")
    job = await _job(call, video_id)
    if job.status != "completed":
        raise GatewayError(409, f"The video is {job.status.replace('_', ' ')}; download it once its status is "
                       "completed.", code="video_not_ready")
    if job.content is None:
        raise not_found(f"Vertex wrote this video to {job.content_uri}; download it from Cloud Storage.")
    response = HttpResponse(bytes(job.content), content_type=job.content_type or "video/mp4")
    response["Content-Disposition"] = f'attachment; filename="{job.id}.mp4"'
    return response

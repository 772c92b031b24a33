"""Veo on Vertex: `publishers/google/models/{m}:predictLongRunning`, then
`publishers/google/models/{m}:fetchPredictOperation` with `{"operationName": name}` until `done`.

Request (OpenAI videos-like): `prompt`, `seconds` (durationSeconds), `size` ("1280x720" ->
aspectRatio 16:9 and resolution 720p), `n` (sampleCount), optional first-frame `image` (or OpenAI's
`input_reference`) as a data URL / base64, plus Vertex extras `negative_prompt`, `seed`,
`generate_audio`, `person_generation`, `storage_uri`, `resolution`, `aspect_ratio`.

Answer: an OpenAI-video-like object `{id, object: "video", model, status, progress, created_at,
videos?, error?}`; `id` is the Vertex operation name, which is what a poll needs. When the operation
is done, `videos` holds `{b64_json, mime_type}` (or `{url}` for a `gcsUri` when a storage URI was given).
"""

from __future__ import annotations

import time

from routing.errors import UpstreamError
from routing.families import media
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.openai_types import invalid

EXTRAS = {
    "negative_prompt": "negativePrompt",
    "seed": "seed",
    "generate_audio": "generateAudio",
    "person_generation": "personGeneration",
    "storage_uri": "storageUri",
    "enhance_prompt": "enhancePrompt",
    "resolution": "resolution",
}


def _seconds(request: Json) -> int | None:
    value = request.get("seconds", request.get("duration_seconds"))
    if value is None:
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise invalid("seconds", "must be a whole number of seconds") from None
    if not 1 <= seconds <= 60:
        raise invalid("seconds", "must be between 1 and 60")
    return seconds


def start_body(request: Json) -> Json:
    instance: Json = {"prompt": media.prompt_of(request)}
    for name in ("image", "input_reference"):
        if request.get(name) is not None:
            mime, data = media.image_b64(request[name], param=name)
            instance["image"] = {"bytesBase64Encoded": data, "mimeType": mime}
    parameters: Json = {"sampleCount": media.count_of(request, maximum=4)}
    if (seconds := _seconds(request)) is not None:
        parameters["durationSeconds"] = seconds
    ratio = media.aspect_ratio(request, media.VEO_RATIOS)
    if ratio:
        parameters["aspectRatio"] = ratio
    size = request.get("size")
    if size not in (None, "auto") and request.get("resolution") is None:
        try:
            longest = max(int(v) for v in str(size).lower().split("x"))
        except ValueError:
            raise invalid("size", 'must look like "1280x720"') from None
        parameters["resolution"] = "1080p" if longest >= 1920 else "720p"
    for source, name in EXTRAS.items():
        if request.get(source) is not None:
            parameters[name] = request[source]
    return {"instances": [instance], "parameters": parameters}


def video_object(*, operation: str, model: str, status: str, progress: int) -> Json:
    return {"id": operation, "object": "video", "model": model, "status": status, "progress": progress,
            "created_at": int(time.time())}


def parse_poll(body: Json, *, model: str) -> Json:
    name = body.get("name", "")
    if not body.get("done"):
        progress = int((body.get("metadata") or {}).get("progressPercent") or 0)
        return video_object(operation=name, model=model, status="in_progress", progress=progress)
    if body.get("error"):
        out = video_object(operation=name, model=model, status="failed", progress=100)
        error = body["error"]
        out["error"] = {"code": str(error.get("code", "")), "message": error.get("message", "")}
        return out
    response = body.get("response") or {}
    videos = []
    for video in response.get("videos") or []:
        if video.get("bytesBase64Encoded"):
            videos.append({"b64_json": video["bytesBase64Encoded"], "mime_type": video.get("mimeType", "video/mp4")})
        elif video.get("gcsUri"):
            videos.append({"url": video["gcsUri"], "mime_type": video.get("mimeType", "video/mp4")})
    out = video_object(operation=name, model=model, status="completed" if videos else "failed", progress=100)
    out["videos"] = videos
    if not videos:
        filtered = response.get("raiMediaFilteredReasons") or []
        out["error"] = {"code": "content_filter",
                        "message": "; ".join(filtered) or "Vertex returned no video for this prompt"}
    return out


class VeoAdapter(BaseAdapter):
    family = "veo"
    capabilities = frozenset({"video"})

    def build_video_start(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(f"publishers/google/models/{target}:predictLongRunning", start_body(request))

    def parse_video_start(self, body: Json, *, model: str) -> Json:
        if not body.get("name"):
            raise UpstreamError("Vertex did not return an operation for this video request", upstream_body=body)
        if body.get("done"):
            return parse_poll(body, model=model)
        return video_object(operation=body["name"], model=model, status="queued", progress=0)

    def build_video_poll(self, *, target: str, operation: str) -> WireRequest:
        # Only operations of this model may be polled through this model's path.
        if not isinstance(operation, str) or f"/models/{target}/operations/" not in operation:
            raise invalid("id", f"is not an operation of {target}")
        return WireRequest(f"publishers/google/models/{target}:fetchPredictOperation",
                           {"operationName": operation})

    def parse_video_poll(self, body: Json, *, model: str) -> Json:
        return parse_poll(body, model=model)

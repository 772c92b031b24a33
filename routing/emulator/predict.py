"""`:predict` family: embeddings, Imagen, and Veo's long-running operations.

Embeddings are deterministic: the vector comes from a hash of the text (same text, same vector),
L2-normalised, with `outputDimensionality` honoured. google-genai sends `:predict` with
`instances[{content}]` for text-embedding-* on Vertex, and `:embedContent` for gemini-embedding-*.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import uuid
from typing import Any

from . import text as T
from .errors import google_error
from .gemini import g
from .media import png
from .server import Reply, json_reply

MAX_INPUT_TOKENS = 2048
_DIMENSIONS = {"gemini-embedding-001": 3072}
DEFAULT_DIMENSIONS = 768
OPERATION_POLLS = 2


def vector(text: str, dimensions: int) -> list[float]:
    """A unit vector derived from a hash of `text`; prefixes of it are renormalised per dimension count."""
    raw = hashlib.shake_256(text.encode()).digest(dimensions * 4)
    values = [(v / 2**31) - 1.0 for v in struct.unpack(f">{dimensions}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def _embed_one(text: str, model: str, dims: int | None, auto_truncate: bool) -> tuple[dict[str, Any], str | None]:
    tokens = T.count_tokens(text)
    truncated = tokens > MAX_INPUT_TOKENS
    if truncated and not auto_truncate:
        return {}, (
            f"Unable to submit request because the input token count is {tokens} but the model supports up to "
            f"{MAX_INPUT_TOKENS}. Reduce the input token count and try again."
        )
    if truncated:
        words = text.split()
        text = " ".join(words[: int(MAX_INPUT_TOKENS / 1.3)])
        tokens = min(tokens, MAX_INPUT_TOKENS)
    size = dims or _DIMENSIONS.get(model.split("@", 1)[0], DEFAULT_DIMENSIONS)
    return {"values": vector(text, size), "statistics": {"token_count": tokens, "truncated": truncated}}, None


def _dims(params: Any) -> tuple[int | None, str | None]:
    dims = g(params, "outputDimensionality")
    if dims is None:
        return None, None
    if not isinstance(dims, int) or isinstance(dims, bool) or not 1 <= dims <= 3072:
        return None, "outputDimensionality: must be an integer between 1 and 3072."
    return dims, None


def embeddings(body: Any, model: str) -> Reply:
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list) or not instances:
        return google_error(400, "instances: at least one instance is required.")
    if len(instances) > 250:
        return google_error(400, "instances: at most 250 instances per request.")
    params = body.get("parameters") or {}
    dims, error = _dims(params)
    if error:
        return google_error(400, error)
    auto = g(params, "autoTruncate", True) is not False
    predictions, chars = [], 0
    for i, inst in enumerate(instances):
        content = inst.get("content") if isinstance(inst, dict) else None
        if not isinstance(content, str):
            return google_error(400, f"instances[{i}].content: a string is required.")
        embedding, error = _embed_one(content, model, dims, auto)
        if error:
            return google_error(400, error)
        predictions.append({"embeddings": embedding})
        chars += len(content.replace(" ", ""))
    return json_reply({"predictions": predictions, "metadata": {"billableCharacterCount": chars}})


def _content_text(content: Any) -> str | None:
    if not isinstance(content, dict):
        return None
    texts = [p.get("text") for p in content.get("parts") or [] if isinstance(p, dict)]
    return " ".join(t for t in texts if isinstance(t, str)) if texts else None


def embed_content(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    text = _content_text(body.get("content") if isinstance(body, dict) else None)
    if text is None:
        return google_error(400, "content: a content with text parts is required.")
    config = g(body, "embedContentConfig", {})
    dims, error = _dims(config)
    if error:
        return google_error(400, error)
    embedding, error = _embed_one(text, model, dims, g(config, "autoTruncate", True) is not False)
    if error:
        return google_error(400, error)
    stats = embedding.pop("statistics")
    return json_reply(
        {
            "embedding": embedding,
            "usageMetadata": {"promptTokenCount": stats["token_count"], "totalTokenCount": stats["token_count"]},
            "truncated": stats["truncated"],
        }
    )


def batch_embed_contents(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return google_error(400, "requests: at least one request is required.")
    out = []
    for i, req in enumerate(requests):
        text = _content_text(req.get("content") if isinstance(req, dict) else None)
        if text is None:
            return google_error(400, f"requests[{i}].content: a content with text parts is required.")
        config = g(req, "embedContentConfig", {})
        dims, error = _dims(config)
        if error:
            return google_error(400, f"requests[{i}].{error}")
        embedding, error = _embed_one(text, model, dims, g(config, "autoTruncate", True) is not False)
        if error:
            return google_error(400, error)
        out.append(embedding)
    return json_reply({"embeddings": out})


def mp4(seed: int) -> bytes:
    """A tiny MP4-shaped payload (ftyp + free + mdat boxes): enough for clients that check the type."""

    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    ftyp = box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    return ftyp + box(b"free", b"") + box(b"mdat", hashlib.sha256(str(seed).encode()).digest() * 8)


def predict(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    if model.startswith(("imagen-", "imagegeneration")):
        return imagen(body)
    if model.startswith(("gemini-embedding", "text-embedding", "text-multilingual-embedding")):
        return embeddings(body, model)
    return google_error(400, f"Model {model} does not support predict.")


def imagen(body: Any) -> Reply:
    instances = body.get("instances") if isinstance(body, dict) else None
    prompt = instances[0].get("prompt") if isinstance(instances, list) and instances and isinstance(instances[0], dict) else None
    if not isinstance(prompt, str) or not prompt:
        return google_error(400, "instances[0].prompt: a prompt is required.")
    params = body.get("parameters") or {}
    count = g(params, "sampleCount", 1)
    if not isinstance(count, int) or not 1 <= count <= 4:
        return google_error(400, "parameters.sampleCount: must be between 1 and 4.")
    predictions = [
        {"bytesBase64Encoded": base64.b64encode(png(T.seed_of(prompt, i))).decode(), "mimeType": "image/png"}
        for i in range(count)
    ]
    return json_reply({"predictions": predictions})


class OperationStore:
    """Veo operations: done after OPERATION_POLLS polls."""

    def __init__(self) -> None:
        self.ops: dict[str, dict[str, Any]] = {}

    def clear(self) -> None:
        self.ops.clear()


def predict_long_running(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    instances = body.get("instances") if isinstance(body, dict) else None
    prompt = instances[0].get("prompt") if isinstance(instances, list) and instances and isinstance(instances[0], dict) else None
    if not isinstance(prompt, str) or not prompt:
        return google_error(400, "instances[0].prompt: a prompt is required.")
    name = f"projects/{project}/locations/{region}/publishers/google/models/{model}/operations/{uuid.uuid4()}"
    emu.operations.ops[name] = {"polls": 0, "seed": T.seed_of(prompt)}
    return json_reply({"name": name})


def fetch_operation(emu: Any, model: str, body: Any, project: str, region: str) -> Reply:
    name = g(body, "operationName")
    op = emu.operations.ops.get(name) if isinstance(name, str) else None
    if op is None:
        return google_error(404, f"Operation {name} not found.")
    op["polls"] += 1
    if op["polls"] < OPERATION_POLLS:
        return json_reply({"name": name, "done": False})
    video = {"bytesBase64Encoded": base64.b64encode(mp4(op["seed"])).decode(), "mimeType": "video/mp4"}
    return json_reply(
        {
            "name": name,
            "done": True,
            "response": {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "raiMediaFilteredCount": 0,
                "videos": [video],
            },
        }
    )

"""Text embeddings on Vertex: `publishers/google/models/{m}:predict`.

Request: OpenAI `input` (string or list of strings), `dimensions`, `encoding_format`, plus Vertex's
`task_type`, `title` and `autoTruncate` (also `auto_truncate`) passed through. The body is what
google-genai's `embed_content` sends for text-embedding-005 on Vertex:
`{"instances": [{"content", "task_type", "title"}], "parameters": {"outputDimensionality", "autoTruncate"}}`.
Answer: `predictions[].embeddings{values, statistics{token_count, truncated}}` -> an OpenAI list, each
item keeping Vertex's `statistics`.
"""

from __future__ import annotations

import base64
import struct
from typing import Any

from routing.families.base import BaseAdapter, Json, WireRequest
from routing.openai_types import invalid

TASK_TYPES = frozenset({
    "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION", "CLUSTERING",
    "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
})
MAX_INPUTS = 250
# gemini-embedding-001 takes one instance per :predict call.
SINGLE_INPUT_PREFIXES = ("gemini-embedding",)


def _inputs(request: Json, target: str) -> list[str]:
    value = request.get("input")
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        values = value
    else:
        raise invalid("input", "must be a string or a non-empty list of strings (token arrays are not supported)")
    for i, text in enumerate(values):
        if not text:
            raise invalid(f"input[{i}]" if isinstance(value, list) else "input", "must not be empty")
    limit = 1 if target.startswith(SINGLE_INPUT_PREFIXES) else MAX_INPUTS
    if len(values) > limit:
        raise invalid("input", f"{target} embeds at most {limit} input(s) per request")
    return values


def build_body(request: Json, *, target: str) -> Json:
    texts = _inputs(request, target)
    task_type = request.get("task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        raise invalid("task_type", f"must be one of {', '.join(sorted(TASK_TYPES))}")
    title = request.get("title")
    if title is not None:
        if not isinstance(title, str):
            raise invalid("title", "must be a string")
        if task_type != "RETRIEVAL_DOCUMENT":
            raise invalid("title", "is only allowed with task_type RETRIEVAL_DOCUMENT")
    instances = []
    for text in texts:
        instance: Json = {"content": text}
        if task_type is not None:
            instance["task_type"] = task_type
        if title is not None:
            instance["title"] = title
        instances.append(instance)
    parameters: Json = {}
    dims = request.get("dimensions")
    if dims is not None:
        if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
            raise invalid("dimensions", "must be a positive integer")
        parameters["outputDimensionality"] = dims
    truncate = request.get("autoTruncate", request.get("auto_truncate"))
    if truncate is not None:
        if not isinstance(truncate, bool):
            raise invalid("autoTruncate", "must be true or false")
        parameters["autoTruncate"] = truncate
    if request.get("encoding_format") not in (None, "float", "base64"):
        raise invalid("encoding_format", "must be float or base64")
    body: Json = {"instances": instances}
    if parameters:
        body["parameters"] = parameters
    return body


def _encode(values: list[float], encoding_format: str) -> Any:
    if encoding_format == "base64":  # what OpenAI sends: little-endian float32, base64
        return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
    return values


def parse_body(body: Json, *, model: str, encoding_format: str = "float") -> Json:
    data = []
    tokens = 0
    for i, prediction in enumerate(body.get("predictions") or []):
        embeddings = prediction.get("embeddings") or {}
        statistics = embeddings.get("statistics") or {}
        tokens += int(statistics.get("token_count") or 0)
        data.append({"object": "embedding", "index": i,
                     "embedding": _encode(list(embeddings.get("values") or []), encoding_format),
                     "statistics": statistics})
    return {"object": "list", "data": data, "model": model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


class EmbeddingsAdapter(BaseAdapter):
    """gemini-embedding-001, text-embedding-*, text-multilingual-embedding-*."""

    family = "embedding"
    capabilities = frozenset({"embeddings"})

    def build_embeddings(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(f"publishers/google/models/{target}:predict", build_body(request, target=target))

    def parse_embeddings(self, body: Json, *, model: str, request: Json | None = None) -> Json:
        """`request` (optional) is the caller's body, read for `encoding_format` (float by default)."""
        encoding = (request or {}).get("encoding_format") or "float"
        return parse_body(body, model=model, encoding_format=encoding)

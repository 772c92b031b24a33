"""Readers for OpenAI images/videos requests shared by the Imagen, Gemini-image and Veo adapters.

OpenAI's images API takes `prompt`, `n`, `size` ("1024x1024"), `response_format`; edits take
`image` (one or a list) and `mask`. Over JSON, images are data URLs or bare base64 strings
(the /v1 multipart view turns uploaded files into data URLs before they get here).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from typing import Any

from routing.openai_types import invalid

Json = dict[str, Any]

IMAGEN_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
VEO_RATIOS = ("16:9", "9:16")
# `size`: "auto" or WIDTHxHEIGHT in pixels (1 to 5 digits each, no leading zero); the /v1 schema uses it too.
SIZE_PATTERN = "(auto|[1-9][0-9]{0,4}[xX][1-9][0-9]{0,4})"
_SIZE = re.compile(SIZE_PATTERN)


def prompt_of(request: Json, *, required: bool = True) -> str:
    prompt = request.get("prompt")
    if prompt is None and not required:
        return ""
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("prompt", "is required and must be a non-empty string")
    return prompt


def count_of(request: Json, *, maximum: int) -> int:
    n = request.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= maximum:
        raise invalid("n", f"must be an integer between 1 and {maximum}")
    return n


def check_b64_only(request: Json) -> None:
    fmt = request.get("response_format")
    if fmt not in (None, "b64_json"):
        raise invalid("response_format", "only b64_json is supported: Vertex returns the image bytes")


def aspect_ratio(request: Json, allowed: tuple[str, ...]) -> str | None:
    """`aspect_ratio` given directly (Vertex style) or the nearest allowed ratio to OpenAI's `size`."""
    direct = request.get("aspect_ratio")
    if direct is not None:
        if direct not in allowed:
            raise invalid("aspect_ratio", f"must be one of {', '.join(allowed)}")
        return direct
    size = request.get("size")
    if size in (None, "auto"):
        return None
    if not isinstance(size, str) or not _SIZE.fullmatch(size):
        raise invalid("size", 'must look like "1024x1024" (or "auto")')
    width, height = (int(v) for v in size.lower().split("x"))
    wanted = width / height

    def distance(ratio: str) -> float:
        w, h = (int(v) for v in ratio.split(":"))
        return abs(w / h - wanted)

    return min(allowed, key=distance)


def image_b64(value: Any, *, param: str) -> tuple[str, str]:
    """(mime type, base64 data) from a data URL or a bare base64 string."""
    if isinstance(value, dict):  # {"image_url": "..."} / {"url": "..."} / {"b64_json": "..."}
        value = value.get("image_url") or value.get("url") or value.get("b64_json")
    if not isinstance(value, str) or not value:
        raise invalid(param, "must be a base64 image or a data: URL")
    mime = "image/png"
    data = value
    if value.startswith("data:"):
        header, sep, data = value[5:].partition(",")
        if not sep or ";base64" not in header:
            raise invalid(param, "data URLs must be base64 encoded")
        mime = header.split(";")[0] or mime
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid(param, "is not valid base64") from None
    if raw[:3] == b"\xff\xd8\xff":
        mime = "image/jpeg"
    elif raw[:8] == b"\x89PNG\r\n\x1a\n":
        mime = "image/png"
    return mime, data


def images_of(request: Json, name: str = "image") -> list[tuple[str, str]]:
    value = request.get(name)
    if value is None:
        raise invalid(name, "is required")
    values = value if isinstance(value, list) else [value]
    if not values:
        raise invalid(name, "is required")
    return [image_b64(v, param=f"{name}[{i}]" if isinstance(value, list) else name) for i, v in enumerate(values)]


def images_response(items: list[Json], *, text: str | None = None) -> Json:
    out: Json = {"created": int(time.time()), "data": items}
    if text:
        out["text"] = text
    return out

"""Gemini image models (e.g. gemini-2.5-flash-image): images generation and edits via generateContent
with `responseModalities: ["TEXT", "IMAGE"]`; the answer's inlineData parts become b64_json items."""

from __future__ import annotations

from routing.families import media
from routing.families.base import Json
from routing.openai_types import invalid


def _config(request: Json) -> Json:
    config: Json = {"responseModalities": ["TEXT", "IMAGE"]}
    n = media.count_of(request, maximum=4)
    if n > 1:
        config["candidateCount"] = n
    ratio = media.aspect_ratio(request, media.GEMINI_RATIOS)
    if ratio:
        config["imageConfig"] = {"aspectRatio": ratio}
    return config


def images_body(request: Json) -> Json:
    media.check_b64_only(request)
    prompt = media.prompt_of(request)
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}], "generationConfig": _config(request)}


def edit_body(request: Json) -> Json:
    media.check_b64_only(request)
    if request.get("mask") is not None:
        raise invalid("mask", "Gemini image models edit from the prompt alone; masks need an Imagen capability model")
    prompt = media.prompt_of(request)
    parts: list[Json] = [{"inlineData": {"mimeType": mime, "data": data}} for mime, data in media.images_of(request)]
    parts.append({"text": prompt})
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": _config(request)}


def parse_images(body: Json) -> Json:
    items: list[Json] = []
    texts: list[str] = []
    for candidate in body.get("candidates") or []:
        for part in (candidate.get("content") or {}).get("parts") or []:
            inline = part.get("inlineData")
            if inline and str(inline.get("mimeType", "")).startswith("image/"):
                items.append({"b64_json": inline.get("data", ""), "mime_type": inline.get("mimeType")})
            elif part.get("text") and not part.get("thought"):
                texts.append(part["text"])
    return media.images_response(items, text="".join(texts) or None)

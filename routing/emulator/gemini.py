"""Gemini on Vertex: generateContent, streamGenerateContent?alt=sse, countTokens.

Shapes follow google-genai's types (GenerateContentResponse, UsageMetadata, CountTokensResponse).
"""

from __future__ import annotations

import base64
import functools
import re
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from . import text as T
from .errors import google_error
from .media import png
from .server import Reply, json_reply


@functools.lru_cache(maxsize=256)
def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def g(obj: Any, name: str, default: Any = None) -> Any:
    """A field by its proto JSON name, camelCase or snake_case (Vertex accepts both)."""
    if not isinstance(obj, dict):
        return default
    value = obj.get(name)
    if value is None:
        value = obj.get(_snake(name))
    return default if value is None else value


class GeminiError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _texts(parts: Any) -> list[str]:
    out = []
    for part in parts or []:
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought"):
            out.append(part["text"])
    return out


def _validate(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise GeminiError("Invalid JSON payload received. Expected a JSON object.")
    contents = body.get("contents")
    if not contents:
        raise GeminiError(
            "Unable to submit request because it must have at least one contents field. "
            "Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"
        )
    if not isinstance(contents, list) or not all(isinstance(c, dict) for c in contents):
        raise GeminiError("Invalid JSON payload received. Invalid value at 'contents'.")
    for i, content in enumerate(contents):
        role = content.get("role", "user")
        if role not in ("user", "model", "function", "tool"):
            raise GeminiError(f"Please use a valid role: user, model. (contents[{i}].role)")
        if not content.get("parts"):
            raise GeminiError(
                f"Unable to submit request because it has an empty parts field at contents[{i}]. "
                "Add at least one part and try again."
            )
    return contents


def prompt_tokens(body: dict[str, Any]) -> int:
    total = 0
    for content in body.get("contents") or []:
        for part in content.get("parts") or []:
            if isinstance(part, dict):
                if isinstance(part.get("text"), str):
                    total += T.count_tokens(part["text"])
                elif g(part, "inlineData") or g(part, "fileData"):
                    total += 258  # what Vertex bills for one image
                else:
                    total += T.count_tokens(orjson.dumps(part).decode())
    system = g(body, "systemInstruction")
    if isinstance(system, dict):
        total += sum(T.count_tokens(t) for t in _texts(system.get("parts")))
    elif isinstance(system, str):
        total += T.count_tokens(system)
    if body.get("tools"):
        total += T.count_tokens(orjson.dumps(body["tools"]).decode())
    return max(total, 1)


def _function_call(body: dict[str, Any], last_text: str, last_content: dict[str, Any]) -> dict[str, Any] | None:
    declarations = [
        fn
        for tool in body.get("tools") or []
        if isinstance(tool, dict)
        for fn in g(tool, "functionDeclarations", [])
        if isinstance(fn, dict) and fn.get("name")
    ]
    if not declarations:
        return None
    if any(g(p, "functionResponse") for p in last_content.get("parts") or []):
        return None
    config = g(g(body, "toolConfig", {}), "functionCallingConfig", {})
    mode = str(config.get("mode") or "AUTO").upper()
    allowed = g(config, "allowedFunctionNames", [])
    if mode == "NONE":
        return None
    if allowed:
        declarations = [d for d in declarations if d["name"] in allowed] or declarations
    # Only an explicit trigger calls a function: `[[call:NAME {args}]]` in the last turn, or mode ANY.
    marker = T.tool_marker(" ".join(_texts(last_content.get("parts"))))
    chosen = next((d for d in declarations if marker and d["name"] == marker[0]), None)
    if chosen is None and mode == "ANY":
        chosen = declarations[0]
    if chosen is None:
        return None
    if marker is not None and marker[0] == chosen["name"] and marker[1] is not None:
        return {"name": chosen["name"], "args": marker[1]}
    schema = g(chosen, "parameters") or g(chosen, "parametersJsonSchema") or {}
    return {"name": chosen["name"], "args": T.tool_arguments(schema, last_text)}


SKIP_SIGNATURE = "skip_thought_signature_validator"  # the documented stand-in for a lost signature
SIGNATURES_URL = "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures"


def thought_signature(call: dict[str, Any]) -> str:
    """The opaque signature the emulator puts on a function call of a thinking model (base64, as
    Vertex's are); it is derived from the call, so a signature moved to another call is detected."""
    digest = T.seed_of("thought-signature", call.get("name"), call.get("args") or {}).to_bytes(8, "big")
    return base64.b64encode(b"\x12\x20emulator-thought" + digest * 3).decode()


def _check_signatures(model: str, contents: list[dict[str, Any]]) -> None:
    """Vertex's checks on the current turn (from the last user message with text on): a signature sent
    back must be the one given; Gemini 3 refuses a step whose first function call lost its signature
    (Gemini 2.5 accepts that, with degraded reasoning)."""
    start = max((i for i, c in enumerate(contents) if c.get("role", "user") == "user" and _texts(c.get("parts"))),
                default=0)
    for i, content in enumerate(contents[start:], start=start):
        calls = [p for p in content.get("parts") or [] if isinstance(p, dict) and g(p, "functionCall")]
        for k, part in enumerate(calls):
            signature = g(part, "thoughtSignature")
            call = g(part, "functionCall")
            if signature is None:
                if k == 0 and model.startswith("gemini-3"):
                    raise GeminiError(
                        f"Unable to submit request because function call `{call.get('name', '')}` in the {i + 1}. "
                        f"content block is missing a `thought_signature`. Learn more: {SIGNATURES_URL}"
                    )
            elif signature != SKIP_SIGNATURE and signature != thought_signature(call):
                raise GeminiError(f"Corrupted thought signature in the {i + 1}. content block.")


def _thinking(model: str, config: dict[str, Any]) -> tuple[bool, bool]:
    thinking = g(config, "thinkingConfig", {})
    budget = g(thinking, "thinkingBudget")
    default_on = "2.5" in model or model.startswith("gemini-3")
    enabled = (budget is None and default_on) or (isinstance(budget, int) and budget != 0 and (default_on or budget > 0))
    return enabled, bool(g(thinking, "includeThoughts"))


IMAGE_TOKENS = 1290  # what Vertex bills for one generated 1024x1024 image


def _answers_with_image(model: str, config: Any) -> bool:
    """Gemini image models (gemini-2.5-flash-image[-preview], gemini-3-pro-image-preview) draw an
    image when `responseModalities` asks for IMAGE; other models answer text only."""
    modalities = g(config, "responseModalities") or []
    return "-image" in model and any(str(m).upper() == "IMAGE" for m in modalities)


def _image_part(seed: int) -> dict[str, Any]:

    return {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(png(seed)).decode()}}


MAX_CANDIDATES = 8  # Vertex's range for candidateCount is 1..8


def _candidate_count(config: Any) -> int:
    count_ = g(config, "candidateCount") or 1
    if isinstance(count_, bool) or not isinstance(count_, int) or not 1 <= count_ <= MAX_CANDIDATES:
        raise GeminiError(f"Unable to submit request because candidateCount must be between 1 and {MAX_CANDIDATES}.")
    return count_


def _answer(
    config: Any, call: dict[str, Any] | None, last: dict[str, Any], last_text: str, system_text: str, seed: int,
    thoughts: str | None, signed: bool,
) -> tuple[list[dict[str, Any]], str, int]:
    """One candidate's (parts, finishReason, output tokens); `seed` makes each candidate its own text."""
    max_tokens = g(config, "maxOutputTokens")
    finish = "STOP"
    parts: list[dict[str, Any]] = []
    if thoughts is not None:
        parts.append({"text": thoughts, "thought": True})
    if call is not None:
        part: dict[str, Any] = {"functionCall": call}
        if signed:  # thinking models sign the (first) function call of each step
            part["thoughtSignature"] = thought_signature(call)
        parts.append(part)
        return parts, finish, T.count_tokens(orjson.dumps(call).decode())
    mime = str(g(config, "responseMimeType", ""))
    if mime == "application/json":
        schema = g(config, "responseSchema") or g(config, "responseJsonSchema")
        value = (
            T.sample_for_schema(schema, seed=seed)
            if schema
            else {"answer": T.answer_text(last_text, seed=seed)[0], "topic": T.topic_of(last_text)}
        )
        answer = orjson.dumps(value).decode()
    else:
        prompt_for_answer = last_text
        if any(g(p, "functionResponse") for p in last.get("parts") or []):
            result = next(g(p, "functionResponse") for p in last["parts"] if g(p, "functionResponse"))
            prompt_for_answer = f"{result.get('name', 'the tool')} result {orjson.dumps(result.get('response')).decode()}"
        answer, truncated = T.answer_text(
            prompt_for_answer, max_tokens=max_tokens if isinstance(max_tokens, int) else None, seed=seed
        )
        if truncated:
            finish = "MAX_TOKENS"
        if system_text and "pirate" in system_text.lower():
            answer = "Arr! " + answer
    parts.append({"text": answer})
    return parts, finish, T.count_tokens(answer)


def build(model: str, body: dict[str, Any], response_id: str) -> dict[str, Any]:
    """The whole GenerateContentResponse for `body`: `candidateCount` candidates, each its own answer,
    as Vertex gives them. An image model asked for IMAGE output answers with a short text and an
    `inlineData` PNG in the first candidate and one more PNG in each further candidate."""
    contents = _validate(body)
    _check_signatures(model, contents)
    config = g(body, "generationConfig", {})
    count_ = _candidate_count(config)
    last = contents[-1]
    last_text = " ".join(_texts(last.get("parts"))) or " ".join(
        t for c in contents for t in _texts(c.get("parts"))
    )
    system = g(body, "systemInstruction", {})
    system_text = " ".join(_texts(system.get("parts"))) if isinstance(system, dict) else str(system)
    seed = T.seed_of(model, system_text, [c.get("parts") for c in contents])
    call = _function_call(body, last_text, last)
    thinking, include_thoughts = _thinking(model, config)
    thoughts = T.thought_text(last_text) if thinking else ""
    images = _answers_with_image(model, config) and call is None
    answers = [
        _answer(config, call, last, last_text, system_text, seed + i, thoughts if thinking and include_thoughts else None,
                signed=thinking or model.startswith("gemini-3"))
        for i in range(1 if images else count_)
    ]
    candidates: list[dict[str, Any]] = []
    for i, (parts, finish, _) in enumerate(answers):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "finishReason": finish,
                                     "avgLogprobs": -0.0421 - ((seed + i) % 1000) / 100000}
        if i:
            candidate["index"] = i
        candidates.append(candidate)
    out_tokens = text_tokens = sum(tokens for _, _, tokens in answers)
    pictures = min(count_, 4) if images else 0  # image models draw at most four
    if pictures:
        answers[0][0].append(_image_part(seed))
        candidates += [
            {"content": {"role": "model", "parts": [_image_part(seed + i)]}, "finishReason": "STOP", "index": i}
            for i in range(1, pictures)
        ]
        out_tokens += pictures * IMAGE_TOKENS
    prompt = prompt_tokens(body)
    usage: dict[str, Any] = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": out_tokens,
        "totalTokenCount": prompt + out_tokens,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": text_tokens}],
    }
    if pictures:
        usage["candidatesTokensDetails"].append({"modality": "IMAGE", "tokenCount": pictures * IMAGE_TOKENS})
    if thinking:
        usage["thoughtsTokenCount"] = T.count_tokens(thoughts) * len(answers)
        usage["totalTokenCount"] += usage["thoughtsTokenCount"]
    return {
        "candidates": candidates,
        "usageMetadata": usage,
        "modelVersion": model,
        "createTime": _now(),
        "responseId": response_id,
    }


_second: list[Any] = [0, ""]


def _now() -> str:
    """RFC 3339 time with microseconds; the date part is formatted once per second (hot path)."""
    now = time.time()
    second = int(now)
    if _second[0] != second:
        _second[0], _second[1] = second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_second[1]}.{int((now - second) * 1e6):06d}Z"


def response_id() -> str:
    raw = time.time_ns().to_bytes(12, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def generate(model: str, body: Any) -> Reply:
    try:
        return json_reply(build(model, body, response_id()))
    except GeminiError as exc:
        return google_error(400, exc.message)


def stream(model: str, body: Any) -> Reply:
    try:
        full = build(model, body, response_id())
    except GeminiError as exc:
        return google_error(400, exc.message)
    return Reply(events=_events(full), content_type="text/event-stream")


def _events(full: dict[str, Any]) -> list[bytes]:
    """The answer as SSE chunks: text in a few pieces, other parts whole; with several candidates each
    chunk carries the next piece of every candidate still going, each under its `index`."""
    base = {"modelVersion": full["modelVersion"], "createTime": full["createTime"], "responseId": full["responseId"]}
    streams: list[list[dict[str, Any]]] = []
    for candidate in full["candidates"]:
        pieces: list[dict[str, Any]] = []
        for part in candidate["content"]["parts"]:
            if "text" in part and not part.get("thought"):
                pieces += [{"text": t} for t in T.chunks(part["text"], 4)]
            else:
                pieces.append(part)
        streams.append(pieces)
    steps = max(len(pieces) for pieces in streams)
    events = []
    for step in range(steps):
        entries = []
        for i, (candidate, pieces) in enumerate(zip(full["candidates"], streams, strict=True)):
            if step >= len(pieces):
                continue
            entry: dict[str, Any] = {"content": {"role": "model", "parts": [pieces[step]]}}
            if i:
                entry["index"] = i
            if step == len(pieces) - 1:
                entry["finishReason"] = candidate["finishReason"]
            entries.append(entry)
        chunk: dict[str, Any] = {"candidates": entries, **base}
        chunk["usageMetadata"] = full["usageMetadata"] if step == steps - 1 else {"trafficType": "ON_DEMAND"}
        events.append(b"data: " + orjson.dumps(chunk) + b"\r\n\r\n")
    return events


def count(body: Any) -> Reply:
    if not isinstance(body, dict) or not body.get("contents"):
        return google_error(400, "Unable to submit request because it must have at least one contents field.")
    tokens = prompt_tokens(body)
    chars = sum(
        len(t.replace(" ", "")) for c in body.get("contents") or [] if isinstance(c, dict) for t in _texts(c.get("parts"))
    )
    return json_reply(
        {"totalTokens": tokens, "totalBillableCharacters": chars, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tokens}]}
    )

"""Gemini on Vertex: `publishers/google/models/{m}:generateContent` / `:streamGenerateContent?alt=sse`.

Chat Completions -> GenerateContentRequest (contents with roles user/model, systemInstruction,
generationConfig, tools.functionDeclarations, toolConfig.functionCallingConfig, thinkingConfig),
and GenerateContentResponse (or each streamed chunk of it) -> chat.completion(.chunk).

Gemini gives function calls no ids (or optional ones), and Gemini 2.5+/3 wants each call's
`thoughtSignature` back on the next turn (Gemini 3 refuses a turn without it). The OpenAI tool call
carries it twice: in `extra_content.google.thought_signature`, as Google's own OpenAI-compatible
endpoint returns and reads it, and in the id, `call_<hex>__thought__<signature>`, for clients that
keep only the standard fields of a tool call (the id always comes back with the tool result). When
the caller sends the history back, `extra_content` wins, else the id's signature is split off.
"""

from __future__ import annotations

import json
from typing import Any

from routing import openai_types as ot
from routing.families import gemini_media
from routing.families.base import BaseAdapter, Json, WireRequest
from routing.families.common import (
    ChunkWriter,
    completion,
    image_source,
    message_choice,
    new_id,
    parse_arguments,
    stream_error,
    tool_call,
    usage,
)

SIGNATURE_SEP = "__thought__"

FINISH_REASONS = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content_filter",
    "RECITATION": "content_filter",
    "BLOCKLIST": "content_filter",
    "PROHIBITED_CONTENT": "content_filter",
    "SPII": "content_filter",
    "IMAGE_SAFETY": "content_filter",
    "IMAGE_PROHIBITED_CONTENT": "content_filter",
    "IMAGE_RECITATION": "content_filter",
    "LANGUAGE": "stop",
    "OTHER": "stop",
    "MALFORMED_FUNCTION_CALL": "stop",
    "UNEXPECTED_TOOL_CALL": "stop",
    "NO_IMAGE": "stop",
    "IMAGE_OTHER": "stop",
    "FINISH_REASON_UNSPECIFIED": "stop",
}
UNSUPPORTED = ("logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction",
               "web_search_options")
TOOL_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY", "function": "ANY"}


def finish_reason(reason: str | None, *, has_tool_calls: bool) -> str | None:
    """Gemini finishReason -> OpenAI finish_reason (tool_calls when the turn ended in calls)."""
    if reason is None:
        return None
    mapped = FINISH_REASONS.get(reason, "stop")
    return "tool_calls" if has_tool_calls and mapped == "stop" else mapped


def gemini_usage(meta: Json | None) -> Json | None:
    """usageMetadata -> OpenAI usage; thoughts count as completion (reasoning) tokens, as OpenAI does."""
    if not meta:
        return None
    prompt = int(meta.get("promptTokenCount") or 0)
    thoughts = int(meta.get("thoughtsTokenCount") or 0)
    completion_tokens = int(meta.get("candidatesTokenCount") or 0) + thoughts
    total = meta.get("totalTokenCount")
    return usage(
        prompt=prompt,
        completion_tokens=completion_tokens,
        total=int(total) if total is not None else None,
        cached=int(meta.get("cachedContentTokenCount") or 0),
        reasoning=thoughts,
    )


# ---------------------------------------------------------------- request


def _user_parts(content: Any, *, param: str) -> list[Json]:
    if isinstance(content, str):
        return [{"text": content}]
    parts: list[Json] = []
    for j, part in enumerate(content or []):
        kind = part.get("type")
        where = f"{param}[{j}]"
        if kind in {"text", "input_text"}:
            parts.append({"text": part.get("text") or ""})
        elif kind in {"image_url", "input_image"}:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            how, mime, data = image_source(url, param=f"{where}.image_url.url")
            if how == "inline":
                parts.append({"inlineData": {"mimeType": mime, "data": data}})
            else:
                parts.append({"fileData": {"mimeType": mime, "fileUri": data}})
        elif kind == "input_audio":
            audio = part.get("input_audio") or {}
            parts.append({"inlineData": {"mimeType": f"audio/{audio.get('format') or 'wav'}",
                                         "data": audio.get("data") or ""}})
        elif kind == "file":
            file = part.get("file") or {}
            how, mime, data = image_source(file.get("file_data"), param=f"{where}.file.file_data")
            key = "inlineData" if how == "inline" else "fileData"
            parts.append({key: {"mimeType": mime, ("data" if how == "inline" else "fileUri"): data}})
        else:
            raise ot.invalid(f"{where}.type", f"{kind!r} parts are not supported by Gemini models")
    return parts


def split_call_id(call_id: str) -> tuple[str, str | None]:
    """(id, thoughtSignature or None) from an id this adapter produced."""
    base, sep, signature = call_id.partition(SIGNATURE_SEP)
    return base, (signature or None) if sep else None


def call_signature(call: Json) -> str | None:
    """The thoughtSignature an OpenAI tool call carries back: `extra_content.google.thought_signature`
    (Google's OpenAI-compatible shape), else the one in an id this adapter produced."""
    extra = call.get("extra_content")
    google = extra.get("google") if isinstance(extra, dict) else None
    signature = google.get("thought_signature") if isinstance(google, dict) else None
    if isinstance(signature, str) and signature:
        return signature
    return split_call_id(call.get("id") or "")[1]


def contents_from_messages(messages: list[Json]) -> tuple[list[Json], Json | None]:
    """OpenAI messages -> (contents, systemInstruction)."""
    system_texts: list[str] = []
    contents: list[Json] = []
    call_names: dict[str, str] = {}
    for i, message in enumerate(messages):
        role = message["role"]
        param = f"messages[{i}].content"
        if role in {"system", "developer"}:
            system_texts.append(ot.text_of(message.get("content"), param=param))
        elif role == "user":
            contents.append({"role": "user", "parts": _user_parts(message.get("content"), param=param)})
        elif role == "assistant":
            parts: list[Json] = []
            text = ot.text_of(message.get("content"), param=param)
            if text:
                parts.append({"text": text})
            for k, call in enumerate(message.get("tool_calls") or []):
                fn = call.get("function") or {}
                call_names[call.get("id", "")] = fn.get("name", "")
                part: Json = {"functionCall": {"name": fn.get("name", ""), "args": parse_arguments(
                    fn.get("arguments"), param=f"messages[{i}].tool_calls[{k}].function.arguments")}}
                signature = call_signature(call)
                if signature:
                    part["thoughtSignature"] = signature
                parts.append(part)
            if parts:  # Gemini refuses empty contents; an empty assistant turn carries nothing
                contents.append({"role": "model", "parts": parts})
        else:  # tool / legacy function results
            call_id = message.get("tool_call_id") or ""
            name = call_names.get(call_id) or message.get("name")
            if not name:
                raise ot.invalid(f"messages[{i}].tool_call_id",
                                 "does not match a tool call of an earlier assistant message")
            text = ot.text_of(message.get("content"), param=param)
            try:
                result = json.loads(text)
            except ValueError:
                result = None
            response = result if isinstance(result, dict) else {"content": text}
            part = {"functionResponse": {"name": name, "response": response}}
            previous = contents[-1] if contents else None
            # Gemini wants all responses to one turn's calls together, in one content.
            if previous and previous["role"] == "user" and all("functionResponse" in p for p in previous["parts"]):
                previous["parts"].append(part)
            else:
                contents.append({"role": "user", "parts": [part]})
    system = {"parts": [{"text": "\n\n".join(system_texts)}], "role": "user"} if system_texts else None
    return contents, system


def generation_config(request: Json) -> Json:
    config: Json = {}
    for source, name in (("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK"), ("seed", "seed"),
                         ("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty")):
        if request.get(source) is not None:
            config[name] = request[source]
    if (n := request.get("n")) not in (None, 1):
        config["candidateCount"] = n
    if (limit := ot.max_output_tokens(request)) is not None:
        config["maxOutputTokens"] = limit
    if (stop := ot.stop_sequences(request)) is not None:
        config["stopSequences"] = stop
    kind, schema, _ = ot.response_format(request)
    if kind != "text":
        config["responseMimeType"] = "application/json"
        if schema is not None:
            config["responseJsonSchema"] = schema
    budget = ot.thinking_budget(request)
    if budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": budget}
    if request.get("include_thoughts"):  # extension: return Gemini's thought summaries as reasoning_content
        config.setdefault("thinkingConfig", {})["includeThoughts"] = True
    return config


def tools_block(request: Json) -> tuple[list[Json] | None, Json | None]:
    declarations = []
    for tool in request.get("tools") or []:
        fn = tool["function"]
        decl: Json = {"name": fn["name"]}
        if fn.get("description"):
            decl["description"] = fn["description"]
        if fn.get("parameters"):
            decl["parametersJsonSchema"] = fn["parameters"]
        declarations.append(decl)
    tools = [{"functionDeclarations": declarations}] if declarations else None
    choice = ot.tool_choice(request)
    config = None
    if choice is not None:
        calling: Json = {"mode": TOOL_MODES[choice[0]]}
        if choice[1]:
            calling["allowedFunctionNames"] = [choice[1]]
        config = {"functionCallingConfig": calling}
    return tools, config


def build_body(request: Json) -> Json:
    """The GenerateContentRequest for an OpenAI Chat Completions body."""
    contents, system = contents_from_messages(request["messages"])
    body: Json = {"contents": contents}
    if system:
        body["systemInstruction"] = system
    tools, tool_config = tools_block(request)
    if tools:
        body["tools"] = tools
    if tool_config:
        body["toolConfig"] = tool_config
    config = generation_config(request)
    if config:
        body["generationConfig"] = config
    if isinstance(request.get("safety_settings"), list):  # Vertex extra, passed through
        body["safetySettings"] = request["safety_settings"]
    return body


# ---------------------------------------------------------------- answers


def _candidate_parts(candidate: Json) -> tuple[str | None, str | None, list[Json]]:
    """(text, thought text, tool calls) of one candidate."""
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[Json] = []
    for part in (candidate.get("content") or {}).get("parts") or []:
        if "functionCall" in part:
            call = part["functionCall"]
            call_id = call.get("id") or new_id("call_")
            signature = part.get("thoughtSignature")
            if signature:
                call_id = f"{call_id}{SIGNATURE_SEP}{signature}"
            entry = tool_call(call_id, call.get("name", ""), call.get("args") or {})
            if signature:
                entry["extra_content"] = {"google": {"thought_signature": signature}}
            calls.append(entry)
        elif "text" in part:
            (thoughts if part.get("thought") else texts).append(part["text"])
    return ("".join(texts) if texts else None), ("".join(thoughts) if thoughts else None), calls


def parse_response(body: Json, *, model: str) -> Json:
    """A GenerateContentResponse -> chat.completion."""
    choices = []
    candidates = body.get("candidates") or []
    for i, candidate in enumerate(candidates):
        text, thoughts, calls = _candidate_parts(candidate)
        reason = finish_reason(candidate.get("finishReason") or "STOP", has_tool_calls=bool(calls))
        choices.append(message_choice(candidate.get("index", i), text=text, tool_calls=calls,
                                      finish_reason=reason, reasoning=thoughts))
    if not candidates:
        # The prompt itself was blocked (promptFeedback.blockReason): nothing was generated.
        blocked = (body.get("promptFeedback") or {}).get("blockReason")
        choices.append(message_choice(0, text="", tool_calls=[],
                                      finish_reason="content_filter" if blocked else "stop"))
    return completion(model=model, choices=choices, usage=gemini_usage(body.get("usageMetadata")))


class GeminiStreamTranslator:
    """streamGenerateContent?alt=sse events (each a GenerateContentResponse) -> chunks."""

    def __init__(self, *, model: str, include_usage: bool) -> None:
        self.writer = ChunkWriter(model=model, include_usage=include_usage)
        self.usage: Json | None = None
        self._tool_index: dict[int, int] = {}
        self._finished: set[int] = set()

    def feed(self, event: str | None, data: Json | str) -> list[Json]:
        if not isinstance(data, dict):
            return []
        if "error" in data:
            raise stream_error("Gemini", data["error"])
        if data.get("usageMetadata"):
            self.usage = gemini_usage(data["usageMetadata"])
        out: list[Json] = []
        candidates = data.get("candidates") or []
        for i, candidate in enumerate(candidates):
            index = candidate.get("index", i)
            text, thoughts, calls = _candidate_parts(candidate)
            if thoughts:
                out.append(self.writer.chunk(index, {"reasoning_content": thoughts}))
            if text:
                out.append(self.writer.chunk(index, {"content": text}))
            if calls:
                deltas = []
                for call in calls:
                    n = self._tool_index.get(index, 0)
                    self._tool_index[index] = n + 1
                    deltas.append({"index": n, **call})
                out.append(self.writer.chunk(index, {"tool_calls": deltas}))
            if candidate.get("finishReason") and index not in self._finished:
                self._finished.add(index)
                reason = finish_reason(candidate["finishReason"], has_tool_calls=index in self._tool_index)
                out.append(self.writer.chunk(index, {}, reason))
        if not candidates and (data.get("promptFeedback") or {}).get("blockReason") and 0 not in self._finished:
            self._finished.add(0)
            out.append(self.writer.chunk(0, {}, "content_filter"))
        return out

    def finish(self) -> list[Json]:
        out = [self.writer.chunk(index, {}, "tool_calls" if index in self._tool_index else "stop")
               for index in sorted(self.writer.started - self._finished)]
        self._finished |= self.writer.started
        if self.writer.include_usage:
            out.append(self.writer.usage_chunk(self.usage))
        return out


class GeminiAdapter(BaseAdapter):
    """Gemini models published by Google (`gemini-*`), including the Gemini image models."""

    family = "gemini"
    capabilities = frozenset({"chat", "count_tokens", "images", "image_edits"})

    def resource(self, target: str, method: str) -> str:
        return f"publishers/google/models/{target}:{method}"

    def build_chat(self, request: Json, *, target: str, model: str) -> WireRequest:
        ot.validate_chat(request)
        ot.reject_unsupported(request, family="Gemini", names=UNSUPPORTED)
        stream = bool(request.get("stream"))
        method = "streamGenerateContent" if stream else "generateContent"
        return WireRequest(self.resource(target, method), build_body(request),
                           query={"alt": "sse"} if stream else {}, stream=stream)

    def parse_chat(self, body: Json, *, model: str) -> Json:
        return parse_response(body, model=model)

    def stream_translator(self, *, model: str, include_usage: bool, request: Json | None = None) -> GeminiStreamTranslator:
        return GeminiStreamTranslator(model=model, include_usage=include_usage)

    def build_count_tokens(self, request: Json, *, target: str) -> WireRequest:
        ot.validate_chat(request)
        full = build_body(request)
        body: Json = {k: full[k] for k in ("contents", "systemInstruction", "tools") if k in full}
        return WireRequest(self.resource(target, "countTokens"), body)

    def parse_count_tokens(self, body: Json, *, model: str) -> Json:
        return {"object": "response.input_tokens", "input_tokens": int(body.get("totalTokens") or 0),
                "model": model}

    def build_images(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(self.resource(target, "generateContent"), gemini_media.images_body(request))

    def build_image_edit(self, request: Json, *, target: str) -> WireRequest:
        return WireRequest(self.resource(target, "generateContent"), gemini_media.edit_body(request))

    def parse_images(self, body: Json, *, model: str) -> Json:
        return gemini_media.parse_images(body)

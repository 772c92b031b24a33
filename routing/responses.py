"""OpenAI Responses API on top of the Chat Completions adapters.

- `responses_to_chat(request) -> dict`: a Responses request (`input` string or items, `instructions`,
  `max_output_tokens`, `tools`, `tool_choice`, `text.format`, `reasoning.effort`, `stream`) -> a Chat
  Completions request every family adapter understands.
- `chat_to_response(completion, request) -> dict`: a `chat.completion` -> a `response` object
  (`message` items with `output_text` parts, `function_call` items, usage with cached/reasoning tokens).
- `ResponsesStreamTranslator(request, model=...)`: `feed(chunk)` turns each `chat.completion.chunk`
  into Responses stream events as it arrives (response.created, response.in_progress,
  response.output_item.added, response.content_part.added, response.output_text.delta,
  response.function_call_arguments.delta, response.reasoning_summary_text.delta for the family's
  visible thinking, ... .done, response.completed with usage); `finish()`
  closes what is open. Each event is a dict with `type` and `sequence_number`.

Not supported (400 naming the parameter): `previous_response_id` and `conversation` (the gateway
stores no responses), built-in tools (web_search, file_search...), file ids.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from routing.openai_types import invalid

Json = dict[str, Any]


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


# ---------------------------------------------------------------- request


def _content_parts(content: Any, *, param: str) -> str | list[Json]:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(param, "must be a string or a list of content parts")
    parts: list[Json] = []
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in {"input_text", "output_text", "text"}:
            parts.append({"type": "text", "text": part.get("text") or ""})
        elif kind == "input_image":
            url = part.get("image_url")
            if not url:
                raise invalid(f"{param}[{j}].image_url", "is required (file ids are not supported)")
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif kind == "input_file":
            if not part.get("file_data"):
                raise invalid(f"{param}[{j}].file_data", "is required (file ids are not supported)")
            parts.append({"type": "file", "file": {"file_data": part["file_data"], "filename": part.get("filename")}})
        elif kind == "refusal":
            parts.append({"type": "text", "text": part.get("refusal") or ""})
        else:
            raise invalid(f"{param}[{j}].type", f"{kind!r} content is not supported")
    return parts


def _messages(request: Json) -> list[Json]:
    messages: list[Json] = []
    if request.get("instructions"):
        if not isinstance(request["instructions"], str):
            raise invalid("instructions", "must be a string")
        messages.append({"role": "system", "content": request["instructions"]})
    items = request.get("input")
    if isinstance(items, str):
        messages.append({"role": "user", "content": items})
        return messages
    if not isinstance(items, list) or not items:
        raise invalid("input", "must be a string or a non-empty list of input items")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"input[{i}]", "must be an object")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            if role not in {"user", "assistant", "system", "developer"}:
                raise invalid(f"input[{i}].role", "must be user, assistant, system or developer")
            messages.append({"role": role, "content": _content_parts(item.get("content"), param=f"input[{i}].content")})
        elif kind == "function_call":
            call = {"id": item.get("call_id") or item.get("id") or "", "type": "function",
                    "function": {"name": item.get("name") or "", "arguments": item.get("arguments") or "{}"}}
            last = messages[-1] if messages else None
            # Calls of one turn travel in one assistant message, as Chat Completions has them.
            if last and last["role"] == "assistant" and not isinstance(last.get("content"), list):
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            if isinstance(output, list):
                output = "".join(p.get("text", "") for p in output if isinstance(p, dict))
            messages.append({"role": "tool", "tool_call_id": item.get("call_id") or "", "content": output or ""})
        elif kind == "reasoning":
            continue  # the families rebuild their own reasoning; summaries are not replayed
        else:
            raise invalid(f"input[{i}].type", f"{kind!r} items are not supported")
    return messages


def _tools(request: Json) -> list[Json] | None:
    tools = request.get("tools")
    if tools is None:
        return None
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or tool.get("type") != "function":
            raise invalid(f"tools[{i}].type", "only function tools are supported")
        fn: Json = {"name": tool.get("name")}
        for key in ("description", "parameters", "strict"):
            if tool.get(key) is not None:
                fn[key] = tool[key]
        out.append({"type": "function", "function": fn})
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return choice


def responses_to_chat(request: Json) -> Json:
    """A Responses API request -> a Chat Completions request (same model alias)."""
    for name in ("previous_response_id", "conversation"):
        if request.get(name):
            raise invalid(name, "is not supported: the gateway keeps no stored responses; send the full input")
    chat: Json = {"model": request.get("model"), "messages": _messages(request)}
    for name in ("temperature", "top_p", "parallel_tool_calls", "user", "seed"):
        if request.get(name) is not None:
            chat[name] = request[name]
    if request.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = request["max_output_tokens"]
    if (tools := _tools(request)) is not None:
        chat["tools"] = tools
    if request.get("tool_choice") is not None:
        chat["tool_choice"] = _tool_choice(request["tool_choice"])
    fmt = (request.get("text") or {}).get("format")
    if fmt and fmt.get("type") == "json_schema":
        chat["response_format"] = {"type": "json_schema", "json_schema": {
            k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}}
    elif fmt and fmt.get("type") in {"json_object", "text"}:
        chat["response_format"] = {"type": fmt["type"]}
    effort = (request.get("reasoning") or {}).get("effort")
    if effort is not None:
        chat["reasoning_effort"] = effort
    for name in ("thinking", "thinking_budget"):  # the same extensions chat accepts
        if request.get(name) is not None:
            chat[name] = request[name]
    if request.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat


# ---------------------------------------------------------------- answer


def response_usage(usage: Json | None) -> Json | None:
    """Chat usage -> Responses usage. The SDK's ResponseUsage requires every detail field, so a
    family that does not report cache reads/writes or reasoning tokens gets 0, not a missing key."""
    if not usage:
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    return {
        "input_tokens": usage.get("prompt_tokens", 0),
        "input_tokens_details": {"cached_tokens": prompt_details.get("cached_tokens") or 0,
                                 "cache_write_tokens": prompt_details.get("cache_write_tokens") or 0},
        "output_tokens": usage.get("completion_tokens", 0),
        "output_tokens_details": {
            "reasoning_tokens": (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0},
        "total_tokens": usage.get("total_tokens", 0),
    }


def _envelope(request: Json, *, id_: str, model: str, status: str, created_at: int) -> Json:
    fmt = (request.get("text") or {}).get("format") or {"type": "text"}
    return {
        "id": id_, "object": "response", "created_at": created_at, "status": status, "error": None,
        "incomplete_details": None, "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"), "model": model, "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls", True), "previous_response_id": None,
        "reasoning": request.get("reasoning") or {"effort": None, "summary": None},
        "store": False, "temperature": request.get("temperature"), "text": {"format": fmt},
        "tool_choice": request.get("tool_choice", "auto"), "tools": request.get("tools") or [],
        "top_p": request.get("top_p"), "truncation": "disabled", "usage": None,
        "user": request.get("user"), "metadata": request.get("metadata") or {},
    }


def _message_item(text: str, *, id_: str | None = None, status: str = "completed") -> Json:
    return {"type": "message", "id": id_ or _id("msg"), "status": status, "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _reasoning_item(text: str, *, id_: str | None = None, status: str = "completed") -> Json:
    """The family's visible thinking (Claude thinking, Gemini thoughts) as a reasoning summary."""
    return {"type": "reasoning", "id": id_ or _id("rs"), "status": status,
            "summary": [{"type": "summary_text", "text": text}] if text else []}


def _call_item(call: Json, *, id_: str | None = None, status: str = "completed") -> Json:
    fn = call.get("function") or {}
    return {"type": "function_call", "id": id_ or _id("fc"), "call_id": call.get("id", ""),
            "name": fn.get("name", ""), "arguments": fn.get("arguments", ""), "status": status}


def _is_cut(finish_reason: str | None) -> bool:
    """The answer stopped short: the output token limit or a content filter."""
    return finish_reason in {"length", "content_filter"}


def _close(response: Json, finish_reason: str | None) -> None:
    """The final status. A cut answer is `incomplete`, and so is the item that was being written
    when it was cut (the last one), as OpenAI reports it; the items before it were finished."""
    if _is_cut(finish_reason):
        response["status"] = "incomplete"
        response["incomplete_details"] = {
            "reason": "max_output_tokens" if finish_reason == "length" else "content_filter"}
        if response["output"]:
            response["output"][-1]["status"] = "incomplete"
    else:
        response["status"] = "completed"
        response["completed_at"] = int(time.time())


def chat_to_response(completion: Json, request: Json) -> Json:
    """A `chat.completion` -> a Responses API `response` object (first choice)."""
    response = _envelope(request, id_=_id("resp"), model=completion.get("model") or request.get("model") or "",
                         status="completed", created_at=int(completion.get("created") or time.time()))
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    if message.get("reasoning_content"):
        response["output"].append(_reasoning_item(message["reasoning_content"]))
    if message.get("content"):
        response["output"].append(_message_item(message["content"]))
    for call in message.get("tool_calls") or []:
        response["output"].append(_call_item(call))
    response["usage"] = response_usage(completion.get("usage"))
    _close(response, choice.get("finish_reason"))
    return response


class ResponsesStreamTranslator:
    """Chat chunks in, Responses stream events out, one chunk at a time."""

    def __init__(self, request: Json, *, model: str | None = None) -> None:
        self.request = request
        self.response = _envelope(request, id_=_id("resp"), model=model or request.get("model") or "",
                                  status="in_progress", created_at=int(time.time()))
        self.usage: Json | None = None
        self._seq = 0
        self._started = False
        self._text: Json | None = None  # open message item: {"id", "index", "text"}
        self._reasoning: Json | None = None  # open reasoning item, same shape
        self._calls: dict[int, Json] = {}  # chat tool index -> open call item state
        self._finish_reason: str | None = None
        self._ended = False  # finish() was called: items still open are closed by the end of the answer

    def _event(self, type_: str, **fields: Any) -> Json:
        event = {"type": type_, "sequence_number": self._seq, **fields}
        self._seq += 1
        return event

    def _snapshot(self) -> Json:
        return {**self.response, "output": [dict(item) for item in self.response["output"]]}

    def _start(self) -> list[Json]:
        self._started = True
        return [self._event("response.created", response=self._snapshot()),
                self._event("response.in_progress", response=self._snapshot())]

    def feed(self, chunk: Json) -> list[Json]:
        events = [] if self._started else self._start()
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if choice.get("index", 0) != 0:
                continue  # Responses has a single output list; extra choices are dropped
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content"):
                events += self._reasoning_delta(delta["reasoning_content"])
            if delta.get("content"):
                events += self._text_delta(delta["content"])
            for call in delta.get("tool_calls") or []:
                events += self._call_delta(call)
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
        return events

    def _reasoning_delta(self, text: str) -> list[Json]:
        events: list[Json] = []
        if self._reasoning is None:
            index = len(self.response["output"])
            item = _reasoning_item("", status="in_progress")
            self.response["output"].append(item)
            self._reasoning = {"id": item["id"], "index": index, "text": ""}
            events.append(self._event("response.output_item.added", output_index=index, item=dict(item)))
            events.append(self._event("response.reasoning_summary_part.added", item_id=item["id"],
                                      output_index=index, summary_index=0, part={"type": "summary_text", "text": ""}))
        self._reasoning["text"] += text
        events.append(self._event("response.reasoning_summary_text.delta", item_id=self._reasoning["id"],
                                  output_index=self._reasoning["index"], summary_index=0, delta=text))
        return events

    def _close_reasoning(self) -> list[Json]:
        if self._reasoning is None:
            return []
        state, self._reasoning = self._reasoning, None
        item = _reasoning_item(state["text"], id_=state["id"], status=self._final_status(state["index"]))
        self.response["output"][state["index"]] = item
        where = {"item_id": state["id"], "output_index": state["index"], "summary_index": 0}
        return [
            self._event("response.reasoning_summary_text.done", **where, text=state["text"]),
            self._event("response.reasoning_summary_part.done", **where,
                        part={"type": "summary_text", "text": state["text"]}),
            self._event("response.output_item.done", output_index=state["index"], item=item),
        ]

    def _text_delta(self, text: str) -> list[Json]:
        events: list[Json] = []
        if self._text is None:
            events += self._close_reasoning()
            index = len(self.response["output"])
            item = _message_item("", status="in_progress")
            item["content"] = []
            self.response["output"].append(item)
            self._text = {"id": item["id"], "index": index, "text": ""}
            events.append(self._event("response.output_item.added", output_index=index, item=dict(item)))
            events.append(self._event("response.content_part.added", item_id=item["id"], output_index=index,
                                      content_index=0, part={"type": "output_text", "text": "", "annotations": []}))
        self._text["text"] += text
        events.append(self._event("response.output_text.delta", item_id=self._text["id"],
                                  output_index=self._text["index"], content_index=0, delta=text, logprobs=[]))
        return events

    def _close_text(self) -> list[Json]:
        if self._text is None:
            return []
        state, self._text = self._text, None
        part = {"type": "output_text", "text": state["text"], "annotations": []}
        item = _message_item(state["text"], id_=state["id"], status=self._final_status(state["index"]))
        self.response["output"][state["index"]] = item
        return [
            self._event("response.output_text.done", item_id=state["id"], output_index=state["index"],
                        content_index=0, text=state["text"], logprobs=[]),
            self._event("response.content_part.done", item_id=state["id"], output_index=state["index"],
                        content_index=0, part=part),
            self._event("response.output_item.done", output_index=state["index"], item=item),
        ]

    def _call_delta(self, call: Json) -> list[Json]:
        events: list[Json] = []
        n = call.get("index", 0)
        fn = call.get("function") or {}
        state = self._calls.get(n)
        if state is None:
            events += self._close_reasoning()
            events += self._close_text()
            for other in list(self._calls):
                events += self._close_call(other)
            index = len(self.response["output"])
            item = _call_item({"id": call.get("id", ""), "function": {"name": fn.get("name", ""), "arguments": ""}},
                              status="in_progress")
            self.response["output"].append(item)
            state = self._calls[n] = {"item": item, "index": index}
            events.append(self._event("response.output_item.added", output_index=index, item=dict(item)))
        if fn.get("arguments"):
            state["item"]["arguments"] += fn["arguments"]
            events.append(self._event("response.function_call_arguments.delta", item_id=state["item"]["id"],
                                      output_index=state["index"], delta=fn["arguments"]))
        return events

    def _close_call(self, n: int) -> list[Json]:
        state = self._calls.pop(n)
        item = {**state["item"], "status": self._final_status(state["index"])}
        self.response["output"][state["index"]] = item
        return [
            self._event("response.function_call_arguments.done", item_id=item["id"], output_index=state["index"],
                        arguments=item["arguments"], name=item["name"]),
            self._event("response.output_item.done", output_index=state["index"], item=item),
        ]

    def _final_status(self, index: int) -> str:
        """`incomplete` for the last item of a cut answer (known only once the stream has ended)."""
        last = self._ended and index == len(self.response["output"]) - 1
        return "incomplete" if last and _is_cut(self._finish_reason) else "completed"

    def finish(self) -> list[Json]:
        events = [] if self._started else self._start()
        self._ended = True
        events += self._close_reasoning()
        events += self._close_text()
        for n in sorted(self._calls):
            events += self._close_call(n)
        self.response["usage"] = response_usage(self.usage)
        _close(self.response, self._finish_reason)
        kind = "response.completed" if self.response["status"] == "completed" else "response.incomplete"
        events.append(self._event(kind, response=self._snapshot()))
        return events

"""Validation and reading of OpenAI-shaped requests, shared by every family adapter.

Every problem raises `routing.errors.InvalidRequestError` whose message starts with the parameter
name (OpenAI style, e.g. "messages[2].role: ..."), and whose `param` attribute names it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from routing.errors import InvalidRequestError

Json = dict[str, Any]

CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
REASONING_EFFORTS = frozenset({"none", "minimal", "low", "medium", "high"})
# Thinking budgets for OpenAI's reasoning_effort; Claude's minimum budget is 1024.
EFFORT_BUDGETS: dict[str, int] = {"none": 0, "minimal": 0, "low": 1024, "medium": 4096, "high": 16384}


def invalid(param: str, message: str) -> InvalidRequestError:
    """An InvalidRequestError naming `param`."""
    return InvalidRequestError(f"{param}: {message}", param=param)


def _number(request: Mapping[str, Any], name: str, lo: float, hi: float) -> float | None:
    value = request.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(name, f"must be a number between {lo:g} and {hi:g}")
    if not lo <= value <= hi:
        raise invalid(name, f"must be between {lo:g} and {hi:g}, got {value:g}")
    return float(value)


def _positive_int(request: Mapping[str, Any], name: str) -> int | None:
    value = request.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid(name, "must be a positive integer")
    return value


def validate_chat(request: Mapping[str, Any]) -> None:
    """Check the parts of a Chat Completions body that every family reads."""
    if not isinstance(request, Mapping):
        raise invalid("body", "must be a JSON object")
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages", "must be a non-empty list of messages")
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise invalid(f"messages[{i}]", "must be an object with role and content")
        role = message.get("role")
        if role not in CHAT_ROLES:
            raise invalid(f"messages[{i}].role", f"unknown role {role!r}; use system, developer, user, assistant or tool")
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise invalid(f"messages[{i}].content", "must be a string or a list of content parts")
        if isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
                    raise invalid(f"messages[{i}].content[{j}]", "must be an object with a type")
        if role == "tool" and not message.get("tool_call_id"):
            raise invalid(f"messages[{i}].tool_call_id", "is required for tool messages")
    _number(request, "temperature", 0, 2)
    _number(request, "top_p", 0, 1)
    _number(request, "presence_penalty", -2, 2)
    _number(request, "frequency_penalty", -2, 2)
    _positive_int(request, "max_tokens")
    _positive_int(request, "max_completion_tokens")
    _positive_int(request, "n")
    stop = request.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise invalid("stop", "must be a string or a list of strings")
    stream = request.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise invalid("stream", "must be true or false")
    _validate_tools(request)
    response_format(request)
    thinking_budget(request)


def _validate_tools(request: Mapping[str, Any]) -> None:
    tools = request.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise invalid("tools", "must be a list of function tools")
        for i, tool in enumerate(tools):
            if not isinstance(tool, Mapping) or tool.get("type") != "function":
                raise invalid(f"tools[{i}].type", "only function tools are supported")
            fn = tool.get("function")
            if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
                raise invalid(f"tools[{i}].function.name", "is required")
            params = fn.get("parameters")
            if params is not None and not isinstance(params, Mapping):
                raise invalid(f"tools[{i}].function.parameters", "must be a JSON schema object")
    tool_choice(request)


def reject_unsupported(request: Mapping[str, Any], *, family: str, names: tuple[str, ...]) -> None:
    """Refuse parameters a family cannot honour (when set to something other than their default)."""
    defaults: dict[str, Any] = {"logprobs": False, "presence_penalty": 0, "frequency_penalty": 0,
                                "modalities": ["text"]}
    for name in names:
        value = request.get(name)
        if value is not None and value != defaults.get(name, None) and value != {}:
            raise invalid(name, f"is not supported by {family} models")


def max_output_tokens(request: Mapping[str, Any]) -> int | None:
    """`max_completion_tokens` (current name) or `max_tokens` (legacy)."""
    return _positive_int(request, "max_completion_tokens") or _positive_int(request, "max_tokens")


def stop_sequences(request: Mapping[str, Any]) -> list[str] | None:
    stop = request.get("stop")
    if stop is None:
        return None
    return [stop] if isinstance(stop, str) else list(stop)


def tool_choice(request: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """None when unset; else (mode, function name): ("auto"|"none"|"required", None) or ("function", name)."""
    choice = request.get("tool_choice")
    if choice is None:
        return None
    if isinstance(choice, str):
        if choice not in {"auto", "none", "required"}:
            raise invalid("tool_choice", "must be auto, none, required or {type: function, function: {name}}")
        if choice == "required" and not request.get("tools"):
            raise invalid("tool_choice", "required needs at least one tool in tools")
        return choice, None
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        name = (choice.get("function") or {}).get("name")
        names = {((t or {}).get("function") or {}).get("name") for t in request.get("tools") or []}
        if not name or name not in names:
            raise invalid("tool_choice", f"function {name!r} is not one of the tools")
        return "function", name
    raise invalid("tool_choice", "must be auto, none, required or {type: function, function: {name}}")


def response_format(request: Mapping[str, Any]) -> tuple[str, Json | None, str | None]:
    """("text"|"json_object"|"json_schema", schema or None, schema name or None)."""
    fmt = request.get("response_format")
    if fmt is None:
        return "text", None, None
    if not isinstance(fmt, Mapping) or fmt.get("type") not in {"text", "json_object", "json_schema"}:
        raise invalid("response_format", "type must be text, json_object or json_schema")
    if fmt["type"] != "json_schema":
        return fmt["type"], None, None
    spec = fmt.get("json_schema")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
        raise invalid("response_format.json_schema.schema", "is required and must be a JSON schema object")
    return "json_schema", dict(spec["schema"]), spec.get("name")


def thinking_budget(request: Mapping[str, Any]) -> int | None:
    """The thinking budget asked for, from exactly one of: `reasoning_effort`, the
    `thinking: {"type": "enabled", "budget_tokens": N}` extension, or Gemini's `thinking_budget`.

    None: not asked (family default). 0: thinking off.
    """
    given = [name for name in ("reasoning_effort", "thinking", "thinking_budget") if request.get(name) is not None]
    if len(given) > 1:
        raise invalid(given[1], f"cannot be combined with {given[0]}; give one way to set the thinking budget")
    if not given:
        return None
    name = given[0]
    value = request[name]
    if name == "reasoning_effort":
        if value not in REASONING_EFFORTS:
            raise invalid("reasoning_effort", "must be none, minimal, low, medium or high")
        return EFFORT_BUDGETS[value]
    if name == "thinking":
        if not isinstance(value, Mapping) or value.get("type") not in {"enabled", "disabled"}:
            raise invalid("thinking", 'must be {"type": "enabled", "budget_tokens": N} or {"type": "disabled"}')
        if value["type"] == "disabled":
            return 0
        budget = value.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise invalid("thinking.budget_tokens", "must be a non-negative integer")
        return budget
    if isinstance(value, bool) or not isinstance(value, int) or value < -1:
        raise invalid("thinking_budget", "must be an integer (-1 for dynamic, 0 for off)")
    return value


def thinking_param(request: Mapping[str, Any]) -> str:
    """The name of the parameter that set the thinking budget, for error messages."""
    for name in ("reasoning_effort", "thinking", "thinking_budget"):
        if request.get(name) is not None:
            return "thinking.budget_tokens" if name == "thinking" else name
    return "reasoning_effort"


def text_of(content: Any, *, param: str) -> str:
    """The text of a message content (string or list of text parts); other parts are refused."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for j, part in enumerate(content):
        if part.get("type") not in {"text", "input_text", "output_text"}:
            raise invalid(f"{param}[{j}].type", f"{part.get('type')!r} parts are not allowed here; use text")
        texts.append(part.get("text") or "")
    return "".join(texts)

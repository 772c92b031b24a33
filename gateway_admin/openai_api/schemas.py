"""JSON Schemas of the /v1 request and response bodies (OpenAPI 3.1 components).

One source for two uses: the OpenAPI document (`openapi.py`, what schemathesis checks the API
against) and request validation in the views (`validate`, compiled once with jsonschema-rs), so a
body the schema accepts is never refused by the view for its shape, and a body it refuses gets a
400 naming the field. Unknown extra fields are accepted and passed on (Vertex-specific options).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from gateway_admin.pipeline.errors import invalid_request
from routing.families.embeddings import TASK_TYPES
from routing.families.media import SIZE_PATTERN

REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null, written so that a validation error names the real constraint."""
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    return {"anyOf": [schema, {"type": "null"}]}


NUMBER_0_2 = nullable({"type": "number", "minimum": 0, "maximum": 2})
NUMBER_0_1 = nullable({"type": "number", "minimum": 0, "maximum": 1})
PENALTY = nullable({"type": "number", "minimum": -2, "maximum": 2})
POSITIVE_INT = nullable({"type": "integer", "minimum": 1})
MODEL = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "\\S", "description": "A model id from GET /v1/models "
         "(the `vertex/` prefix is accepted too)."}

# routing.families.media.SIZE_PATTERN, as a JSON-schema pattern: "auto" or WIDTHxHEIGHT.
SIZE = {"type": "string", "pattern": "^" + SIZE_PATTERN + "$"}

COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type", "param", "code"],
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]},
                },
            }
        },
    },
    "ContentPart": {
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"type": "string", "minLength": 1}},
    },
    "ToolCall": {
        "type": "object",
        "required": ["id", "type", "function"],
        "properties": {
            "id": {"type": "string"},
            "type": {"const": "function"},
            "function": {
                "type": "object",
                "required": ["name", "arguments"],
                "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}},
            },
        },
    },
    "ChatMessage": {
        "type": "object",
        "required": ["role"],
        "properties": {
            "role": {"enum": ["system", "developer", "user", "assistant", "tool", "function"]},
            "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": ref("ContentPart")},
                                  {"type": "null"}]},
            "name": {"type": "string"},
            "tool_calls": {"type": "array", "items": ref("ToolCall")},
            "tool_call_id": {"type": "string"},
        },
    },
    "FunctionTool": {
        "type": "object",
        "required": ["type", "function"],
        "properties": {
            "type": {"const": "function"},
            "function": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
                    "description": {"type": "string"},
                    "parameters": {"type": "object"},
                    "strict": nullable({"type": "boolean"}),
                },
            },
        },
    },
    "ChatCompletionRequest": {
        "type": "object",
        "required": ["model", "messages"],
        "properties": {
            "model": MODEL,
            "messages": {"type": "array", "minItems": 1, "items": ref("ChatMessage")},
            "stream": nullable({"type": "boolean"}),
            "stream_options": nullable({"type": "object", "properties": {"include_usage": {"type": "boolean"}}}),
            "temperature": NUMBER_0_2,
            "top_p": NUMBER_0_1,
            "n": nullable({"type": "integer", "minimum": 1, "maximum": 8}),
            "max_tokens": POSITIVE_INT,
            "max_completion_tokens": POSITIVE_INT,
            "stop": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "maxItems": 4},
                               {"type": "null"}]},
            "presence_penalty": PENALTY,
            "frequency_penalty": PENALTY,
            "seed": nullable({"type": "integer"}),
            "tools": {"type": "array", "items": ref("FunctionTool")},
            "tool_choice": {"anyOf": [
                {"enum": ["none", "auto", "required"]},
                {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}},
            ]},
            "parallel_tool_calls": {"type": "boolean"},
            "response_format": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": ["text", "json_object", "json_schema"]},
                               "json_schema": {"type": "object"}},
            },
            "reasoning_effort": nullable({"enum": ["none", "minimal", "low", "medium", "high"]}),
            "user": {"type": "string"},
            "metadata": nullable({"type": "object"}),
        },
    },
    "Usage": {
        "type": "object",
        "required": ["prompt_tokens", "total_tokens"],
        "properties": {
            "prompt_tokens": {"type": "integer"},
            "completion_tokens": {"type": "integer"},
            "total_tokens": {"type": "integer"},
        },
    },
    "ChatCompletion": {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": "chat.completion"},
            "created": {"type": "integer"},
            "model": {"type": "string"},
            "choices": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "message", "finish_reason"],
                    "properties": {
                        "index": {"type": "integer"},
                        "finish_reason": {"type": ["string", "null"]},
                        "message": {
                            "type": "object",
                            "required": ["role"],
                            "properties": {
                                "role": {"const": "assistant"},
                                "content": {"type": ["string", "null"]},
                                "tool_calls": {"type": "array", "items": ref("ToolCall")},
                            },
                        },
                    },
                },
            },
            "usage": nullable(ref("Usage")),
        },
    },
    "ResponsesRequest": {
        "type": "object",
        "required": ["model", "input"],
        "properties": {
            "model": MODEL,
            "input": {"anyOf": [{"type": "string"},
                                {"type": "array", "minItems": 1, "items": {"type": "object"}}]},
            "instructions": nullable({"type": "string"}),
            "max_output_tokens": POSITIVE_INT,
            "stream": nullable({"type": "boolean"}),
            "temperature": NUMBER_0_2,
            "top_p": NUMBER_0_1,
            "tools": {"type": "array", "items": {"type": "object", "required": ["type"],
                                                 "properties": {"type": {"const": "function"}}}},
            "tool_choice": {"anyOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]},
            "text": nullable({"type": "object"}),
            "reasoning": nullable({"type": "object"}),
            "metadata": nullable({"type": "object"}),
            "parallel_tool_calls": nullable({"type": "boolean"}),
            "store": nullable({"type": "boolean"}),
            "user": {"type": "string"},
        },
    },
    "Response": {
        "type": "object",
        "required": ["id", "object", "created_at", "model", "output", "status"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": "response"},
            "created_at": {"type": "number"},
            "model": {"type": "string"},
            "status": {"type": "string"},
            "output": {"type": "array", "items": {"type": "object", "required": ["type"]}},
            "usage": nullable({"type": "object"}),
        },
    },
    "EmbeddingsRequest": {
        "type": "object",
        "required": ["model", "input"],
        "properties": {
            "model": MODEL,
            "input": {"anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "maxItems": 2048, "items": {"type": "string", "minLength": 1}},
            ]},
            "dimensions": POSITIVE_INT,
            "encoding_format": {"enum": ["float", "base64"]},
            "user": {"type": "string"},
            "task_type": {"enum": sorted(TASK_TYPES)},
            "title": {"type": "string"},
            "auto_truncate": {"type": "boolean"},
        },
    },
    "EmbeddingList": {
        "type": "object",
        "required": ["object", "data", "model"],
        "properties": {
            "object": {"const": "list"},
            "model": {"type": "string"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["object", "index", "embedding"],
                    "properties": {
                        "object": {"const": "embedding"},
                        "index": {"type": "integer"},
                        "embedding": {"anyOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]},
                    },
                },
            },
            "usage": nullable(ref("Usage")),
        },
    },
    "Model": {
        "type": "object",
        "required": ["id", "object", "created", "owned_by"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": "model"},
            "created": {"type": "integer"},
            "owned_by": {"type": "string"},
        },
    },
    "ModelList": {
        "type": "object",
        "required": ["object", "data"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": ref("Model")}},
    },
    "ImageGenerationRequest": {
        "type": "object",
        "required": ["model", "prompt"],
        "properties": {
            "model": MODEL,
            "prompt": {"type": "string", "minLength": 1, "maxLength": 32000},
            "n": nullable({"type": "integer", "minimum": 1, "maximum": 4}),
            "size": nullable(SIZE),
            "response_format": nullable({"enum": ["b64_json", "url"]}),
            "output_format": nullable({"enum": ["png", "jpeg", "webp"]}),
            "quality": nullable({"type": "string"}),
            "style": nullable({"type": "string"}),
            "background": nullable({"type": "string"}),
            "user": {"type": "string"},
        },
    },
    "ImageEditRequest": {
        "type": "object",
        "required": ["model", "prompt", "image"],
        "properties": {
            "model": MODEL,
            "prompt": {"type": "string", "minLength": 1, "maxLength": 32000},
            "image": {"anyOf": [{"type": "string", "format": "binary", "minLength": 1},
                                {"type": "array", "minItems": 1,
                                 "items": {"type": "string", "format": "binary", "minLength": 1}}]},
            "mask": {"type": "string", "format": "binary", "minLength": 1},
            "n": {"type": "integer", "minimum": 1, "maximum": 4},
            "size": SIZE,
            "response_format": {"enum": ["b64_json", "url"]},
        },
    },
    "ImagesResponse": {
        "type": "object",
        "required": ["created", "data"],
        "properties": {
            "created": {"type": "integer"},
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "b64_json": {"type": "string"},
                        "url": {"type": "string"},
                        "revised_prompt": {"type": "string"},
                    },
                },
            },
        },
    },
    "VideoCreateRequest": {
        "type": "object",
        "required": ["prompt"],
        "properties": {
            "model": MODEL,
            "prompt": {"type": "string", "minLength": 1, "maxLength": 32000},
            "seconds": {"anyOf": [{"type": "string", "pattern": "^[0-9]{1,2}$"},
                                  {"type": "integer", "minimum": 1, "maximum": 60}]},
            "size": SIZE,
            "input_reference": {"type": "string", "format": "binary", "minLength": 1},
        },
    },
    "Video": {
        "type": "object",
        "required": ["id", "object", "model", "status", "progress", "created_at", "seconds", "size"],
        "properties": {
            "id": {"type": "string"},
            "object": {"const": "video"},
            "model": {"type": "string"},
            "status": {"enum": ["queued", "in_progress", "completed", "failed"]},
            "progress": {"type": "integer", "minimum": 0, "maximum": 100},
            "created_at": {"type": "integer"},
            "completed_at": {"type": ["integer", "null"]},
            "expires_at": {"type": ["integer", "null"]},
            "prompt": {"type": ["string", "null"]},
            "seconds": {"type": "string"},
            "size": {"type": "string"},
            "error": {"anyOf": [
                {"type": "null"},
                {"type": "object", "required": ["code", "message"],
                 "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
            ]},
        },
    },
}


def _resolved(name: str) -> dict[str, Any]:
    """A standalone schema for `name`: the component plus every component it references."""
    return {"$ref": REF + name, "components": {"schemas": COMPONENTS}}


_validators: dict[str, Any] = {}


def _param(path: list[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(name: str, body: dict[str, Any]) -> None:
    """Raise a 400 GatewayError naming the first field of `body` that does not fit schema `name`."""
    validator = _validators.get(name)
    if validator is None:
        validator = _validators[name] = jsonschema_rs.validator_for(_resolved(name))
    if validator.is_valid(body):
        return
    error = next(iter(validator.iter_errors(body)))
    path = list(error.instance_path)
    # A missing required field is reported at its parent: name the field itself.
    missing = getattr(error.kind, "property", None)
    if missing is not None and error.kind.__class__.__name__ == "Required":
        path.append(str(missing))
        message = "is required"
    else:
        message = error.message
    param = _param(path) or None
    raise invalid_request(f"{param}: {message}" if param else message, param=param)

"""JSON parsing for the config API that refuses duplicate object keys.

The stdlib keeps the last of two equal keys silently, so `{"deployments": {"a": "x", "a": "y"}}`
would lose a deployment without a word. Here it is a 400 naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser

from gateway_admin.json_limits import DEPTH_MESSAGE, exceeds_depth


class BodyTooDeep(exceptions.ParseError):
    default_code = "too_deep"


class _Duplicate(ValueError):
    pass


class _Pairs(dict):
    """A dict that remembers which keys were given more than once."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Pairs:
    obj = _Pairs()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj and key not in obj.duplicates:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def _duplicate_paths(value: Any, path: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(value, _Pairs):
        found.extend(f"{path}.{key}" if path else key for key in value.duplicates)
        for key, child in value.items():
            found.extend(_duplicate_paths(child, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_duplicate_paths(child, f"{path}[{index}]"))
    return found


def _nul_paths(value: Any, path: str = "") -> list[str]:
    """Paths of strings (keys or values) holding a NUL character, which no field accepts and
    PostgreSQL cannot store."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if "\x00" in key:
                found.append(child_path.replace("\x00", "\\x00"))
            else:
                found.extend(_nul_paths(child, child_path))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_nul_paths(child, f"{path}[{index}]"))
    elif isinstance(value, str) and "\x00" in value:
        found.append(path or "body")
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    return value


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError:
            # Deeper than the stdlib decoder can go: far beyond the limit.
            raise BodyTooDeep(DEPTH_MESSAGE) from None
        if exceeds_depth(data):
            raise BodyTooDeep(DEPTH_MESSAGE)
        duplicates = _duplicate_paths(data)
        if duplicates:
            raise serializers.ValidationError({path: ["Given more than once; each key may appear once."] for path in duplicates})
        with_nul = _nul_paths(data)
        if with_nul:
            raise serializers.ValidationError({path: ["Must not contain NUL characters."] for path in with_nul})
        return _plain(data)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")

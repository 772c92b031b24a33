"""One error format for the whole /api/v1:

    {"detail": "<one-line summary>", "code": "<machine code>", "errors": {"<field path>": ["<reason>", ...]}}

`errors` is always present; it is empty when no particular field is at fault (401, 403, 404, ...).
Field paths are the names the client sent, dotted for nesting and indexed for lists:
"name", "vertex_key_config.region", "vertex_key_config.deployments.my-alias", "[2].vertex_key_config.region"
(an import item), "model_scopes[0]". A malformed body is reported under "body".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gateway_admin.services.errors import ServiceValidationError


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer of /api/v1 (documented in the OpenAPI schema)."""

    detail = serializers.CharField(help_text="One-line summary of what went wrong.")
    code = serializers.CharField(help_text='Machine-readable code, e.g. "invalid", "not_authenticated", "not_found".')
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Reasons per field path; empty when no particular field is at fault.",
    )


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"a.b[0].c": ["reason"]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for field, value in detail.items():
            path = f"{prefix}.{field}" if prefix else str(field)
            if field == "non_field_errors" and prefix:
                path = prefix
            for key, reasons in flatten_errors(value, path).items():
                out.setdefault(key, []).extend(reasons)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    for key, reasons in flatten_errors(item, f"{prefix}[{index}]").items():
                        out.setdefault(key, []).extend(reasons)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_response(
    status_code: int, detail: str, code: str, errors: dict[str, list[str]] | None = None
) -> Response:
    return Response({"detail": detail, "code": code, "errors": errors or {}}, status=status_code)


def _summary(errors: dict[str, list[str]]) -> str:
    fields = ", ".join(list(errors)[:5])
    more = "" if len(errors) <= 5 else f" and {len(errors) - 5} more"
    return f"Invalid input: {fields}{more}." if fields else "Invalid input."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceValidationError):
        return error_response(status.HTTP_400_BAD_REQUEST, _summary(exc.errors), "invalid", exc.errors)
    if isinstance(exc, RequestDataTooBig):
        reason = f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        return error_response(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, reason, "request_too_large", {"body": [reason]})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        body = {"detail": _summary(errors), "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.ParseError) and exc.get_codes() == "too_deep":
        body = {"detail": str(exc.detail), "code": "too_deep", "errors": {"body": [str(exc.detail)]}}
    elif isinstance(exc, exceptions.ParseError):
        body = {"detail": "The request body is not valid JSON.", "code": "parse_error", "errors": {"body": [str(exc.detail)]}}
    else:
        codes = exc.get_codes()
        body = {
            "detail": str(exc.detail) if not isinstance(exc.detail, dict | list) else "Request refused.",
            "code": codes if isinstance(codes, str) else "error",
            "errors": {} if not isinstance(exc.detail, dict | list) else flatten_errors(exc.detail),
        }
    response.data = body
    return response

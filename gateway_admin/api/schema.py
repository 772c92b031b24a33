"""OpenAPI schema additions: the bearer-token scheme and the shared error responses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

from gateway_admin.api.errors import ErrorSerializer

# Codes any /api/v1 operation may answer with, beyond its own success codes.
_ERROR_CODES = {
    "400": "Bad input; `errors` names each field.",
    "401": "Missing, unknown, revoked or expired credentials.",
    "403": "Your role does not allow this.",
    "404": "No such object.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "415": "Unsupported media type (send application/json).",
    "429": "Too many requests.",
}


class AutoSchema(SpectacularAutoSchema):
    """Documents the one error format (gateway_admin.api.errors) on every /api/ operation."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:  # type: ignore[override]
        responses = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if not self.path.startswith("/api/"):
            return responses
        for code, description in _ERROR_CODES.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "gateway_admin.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: `Authorization: Bearer vga_...` (create one with "
            "`manage.py create_api_token USERNAME` or in the admin).",
        }


def refuse_unknown_fields(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Request bodies refuse fields they do not know (`_StrictSerializer`, routing's config check):
    say so in the schema with `additionalProperties: false`."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object" and "properties" in component:
            component.setdefault("additionalProperties", False)
    # An import needs at least one key (services.keys.keys_import); drf-spectacular drops a list
    # serializer's min_length from request bodies.
    imports = result.get("paths", {}).get("/api/v1/keys/import/", {}).get("post", {})
    for media in imports.get("requestBody", {}).get("content", {}).values():
        if media.get("schema", {}).get("type") == "array":
            media["schema"]["minItems"] = 1
    return result

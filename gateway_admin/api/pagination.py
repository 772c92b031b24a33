"""Limit/offset pagination with bounds, so an absurd number is a short page rather than a database error."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**12  # far beyond any table here, far below PostgreSQL's bigint


class Pagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def get_offset(self, request: Any) -> int:
        _check_whole_number(request, self.offset_query_param)
        return min(super().get_offset(request), MAX_OFFSET)

    def get_limit(self, request: Any) -> int | None:
        _check_whole_number(request, self.limit_query_param, minimum=1, maximum=self.max_limit)
        return super().get_limit(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_limit)
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"].update(minimum=0)
        return parameters


def _check_whole_number(request: Any, name: str, minimum: int = 0, maximum: int | None = None) -> None:
    """DRF ignores a malformed limit/offset (`offset=null` gives the first page) and clamps a large
    limit: refuse them instead, as the schema says."""
    values = request.query_params.getlist(name)
    if not values:
        return
    if len(values) > 1:
        raise ValidationError({name: ["Give it once."]})
    value = values[0]
    too_big = maximum is not None and value.isascii() and value.isdigit() and int(value) > maximum
    if not value.isascii() or not value.isdigit() or int(value) < minimum or too_big:
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        raise ValidationError({name: [f"Must be a whole number {bounds}."]})

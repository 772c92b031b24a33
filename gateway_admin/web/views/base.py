"""What every page view shares: rendering with the navigation context, and error-field mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from gateway_admin.permissions import is_admin


def render_page(request: HttpRequest, template: str, context: Mapping[str, Any] | None = None, *,
                nav: str = "", title: str = "", status: int = 200) -> HttpResponse:
    ctx: dict[str, Any] = {"is_admin": is_admin(request.user), "nav": nav, "page_title": title}
    if context:
        ctx.update(context)
    return render(request, template, ctx, status=status)


def strip_prefix(field: str, prefixes: tuple[str, ...] = ("vertex_key_config.", "config.")) -> str:
    for prefix in prefixes:
        if field.startswith(prefix):
            return field[len(prefix):]
    return field

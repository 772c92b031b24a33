"""Template context every page gets, including the ones Django renders itself (403, 404, 500)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from gateway_admin.permissions import is_admin, user_role


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`is_admin` and `role` for the sidebar: Django's error handlers render 403.html/404.html without
    our views' context, and an admin must still see the admin navigation there. Lazy: a page that
    never asks costs no query (render_page sets its own `is_admin`, which wins)."""
    user = getattr(request, "user", None)
    return {
        "is_admin": SimpleLazyObject(lambda: is_admin(user)),
        "role": SimpleLazyObject(lambda: user_role(user) or ""),
    }

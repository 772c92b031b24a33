"""The page django-axes answers with once a username and address are locked (AXES_LOCKOUT_CALLABLE)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.conf import settings as axes_settings
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def cooloff_text(cool_off: timedelta | None) -> str:
    """"15 minutes", "1 minute", "2 hours"; "" without a cool-off (then only an admin unlocks)."""
    if cool_off is None:
        return ""
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """The sign-in page's layout saying the account is locked, for how long, and what to do."""
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_text": cooloff_text(get_cool_off(request)),
    }
    return render(request, "auth/locked_out.html", context, status=axes_settings.AXES_HTTP_RESPONSE_CODE)

"""Request log (with a chart of calls and errors over time) and audit log."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from gateway_admin.models import RequestLog
from gateway_admin.permissions import admin_required, developer_required, is_admin
from gateway_admin.selectors.audit import audit_log_rows, audit_object_types
from gateway_admin.selectors.request_log import (
    CHART_WINDOWS,
    COUNTS_DEFINITION,
    RequestLogFilters,
    request_log_chart,
    request_log_entry,
    request_log_filter_choices,
    request_log_rows,
)

from .base import render_page


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@developer_required
def request_log_view(request: HttpRequest) -> HttpResponse:
    g = request.GET
    source = g.get("source", "")
    filters = RequestLogFilters(
        model=g.get("model", "")[:128],
        key_id=_int(g.get("key")),
        source=source if source in RequestLog.Source.values else "",
        outcome=g.get("outcome", "") if g.get("outcome") in ("ok", "error") else "",
        window=g.get("window", "24h") if g.get("window") in CHART_WINDOWS else "24h",
    )
    rows, older = request_log_rows(filters, before_id=_int(g.get("before")))
    params = g.copy()
    params.pop("before", None)
    return render_page(request, "logs/request_log.html", {
        "rows": rows, "older": older, "filters": filters, "chart": request_log_chart(filters),
        "choices": request_log_filter_choices(), "windows": list(CHART_WINDOWS),
        "counts_definition": COUNTS_DEFINITION,
        "query": params.urlencode(), "filtered": bool(filters.model or filters.key_id or filters.source
                                                      or filters.outcome),
    }, nav="request-log", title="Request log")


@developer_required
def request_log_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    entry = request_log_entry(pk=pk)
    if entry is None:
        raise Http404("No such request.")
    return render_page(request, "logs/request_detail.html", {"entry": entry}, nav="request-log",
                       title=f"Request {entry.pk}")


CREDENTIAL_MARKERS = ("credential", "client_email", "private_key", "fingerprint", "auth_")


OBJECT_LABELS = {"vertexkey": "Key", "apitoken": "API token", "user": "User", "deployment": "Deployment",
                 "availabilityoverride": "Availability override"}
EMPTY: tuple[object, ...] = (None, "", [], {})


def _show(value: Any) -> str | None:
    """A change value as a person reads it: mappings as "a → b", lists comma-separated."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} → {_show(v)}" for k, v in value.items()) or "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(str(_show(v)) for v in value) or "(none)"
    return str(value) if value != "" else "(empty)"


def _changes(changes: Any, *, hide_credentials: bool) -> list[tuple[str, Any, Any]]:
    """(field, old, new) rows; credential details are shown to admins only. Fields that start out
    empty on creation are left out: they say nothing."""
    if not isinstance(changes, dict):
        return []
    out = []
    for field, change in changes.items():
        old, new = (change[0], change[1]) if isinstance(change, list | tuple) and len(change) == 2 else (None, change)
        if old is None and new in EMPTY:
            continue
        if hide_credentials and any(m in field.lower() for m in CREDENTIAL_MARKERS):
            old, new = ("(hidden)" if old is not None else None), "(changed; visible to admins)"
        out.append((field.replace("_", " "), _show(old), _show(new)))
    return out


@admin_required  # admins only: it names every change and the token prefixes of admins
def audit_log_view(request: HttpRequest) -> HttpResponse:
    object_type = request.GET.get("type", "")[:64]
    actor = request.GET.get("actor", "")[:150]
    rows, older = audit_log_rows(object_type=object_type, actor=actor, before_id=_int(request.GET.get("before")))
    params = request.GET.copy()
    params.pop("before", None)
    hide = not is_admin(request.user)
    return render_page(request, "logs/audit_log.html", {
        "rows": [(r, OBJECT_LABELS.get(r.object_type, r.object_type), _changes(r.changes, hide_credentials=hide))
                 for r in rows], "older": older, "object_type": object_type, "actor": actor,
        "types": [(t, OBJECT_LABELS.get(t, t)) for t in audit_object_types()], "query": params.urlencode(),
    }, nav="audit-log", title="Audit log")

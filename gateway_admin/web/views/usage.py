"""Usage (spend and tokens over time, top spenders, CSV), budgets and prices pages."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from gateway_admin.models import ApiToken, Budget, PriceOverride, Team, VertexKey
from gateway_admin.permissions import admin_required, developer_required, is_admin
from gateway_admin.selectors.usage import (
    budget_statuses,
    default_filters,
    usage_page,
    usage_rows,
)
from gateway_admin.services.budgets import budget_create, budget_delete
from gateway_admin.services.errors import ServiceValidationError
from gateway_admin.services.prices import price_override_create, price_override_delete
from gateway_admin.services.teams import team_create, team_delete
from gateway_admin.usage.pricing import PRICE_FIELDS, price_rows

from .base import render_page

WINDOWS = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
DIMENSIONS = [("model", "Model"), ("key", "Key"), ("user", "User"), ("token", "API token")]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _filters(request: HttpRequest) -> tuple[Any, dict[str, Any]]:
    g = request.GET
    window = g.get("window") if g.get("window") in WINDOWS else "30d"
    by = g.get("by") if g.get("by") in dict(DIMENSIONS) else "model"
    metric = "tokens" if g.get("metric") == "tokens" else "cost"
    user_id = _int(g.get("user")) if is_admin(request.user) else request.user.pk
    f = default_filters(days=WINDOWS[window], token_id=_int(g.get("token")), user_id=user_id,
                        team_id=_int(g.get("team")), key_id=_int(g.get("key")), model=g.get("model", "")[:128])
    return f, {"window": window, "by": by, "metric": metric}


def _csv(f: Any, by: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-{f.since}-{f.until}.csv"'
    w = csv.writer(response)
    w.writerow(["day", by, "calls", "errors", "input_tokens", "output_tokens", "cache_read_tokens",
                "cache_write_tokens", "cost_usd", "unpriced_calls"])
    for r in usage_rows(f, group_by=["day", by]):
        w.writerow([r.labels["day"], r.labels[by], r.calls, r.errors, r.input_tokens, r.output_tokens,
                    r.cache_read_tokens, r.cache_write_tokens, "" if r.cost_usd is None else f"{r.cost_usd:f}",
                    r.unpriced_calls])
    return response


@developer_required
def usage_view(request: HttpRequest) -> HttpResponse:
    f, opts = _filters(request)
    if request.GET.get("format") == "csv":
        return _csv(f, opts["by"])
    admin = is_admin(request.user)
    params = request.GET.copy()
    params.pop("format", None)
    return render_page(request, "usage/usage.html", {
        "f": f, "opts": opts, "page": usage_page(f, by=opts["by"], metric=opts["metric"]),
        "windows": list(WINDOWS), "dimensions": DIMENSIONS,
        "choices": _choices() if admin else {}, "query": params.urlencode(),
        "budgets": budget_statuses() if admin else [],
        "filtered": bool(f.token_id or (admin and f.user_id) or f.team_id or f.key_id or f.model),
    }, nav="usage", title="Usage")


def _choices() -> dict[str, Any]:
    return {
        "tokens": list(ApiToken.objects.order_by("name").values_list("id", "name", "prefix")[:500]),
        "users": list(get_user_model().objects.order_by("username").values_list("id", "username")[:500]),
        "teams": list(Team.objects.order_by("name").values_list("id", "name")),
        "keys": list(VertexKey.objects.order_by("name").values_list("id", "name")),
    }


def _budgets_page(request: HttpRequest, *, errors: dict[str, list[str]] | None = None,
                  form: dict[str, str] | None = None, team_errors: dict[str, list[str]] | None = None,
                  team_form: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    return render_page(request, "usage/budgets.html", {
        "budgets": budget_statuses(), "choices": _choices(), "errors": errors or {}, "form": form or {},
        "periods": Budget.Period.choices, "teams": Team.objects.prefetch_related("members").order_by("name"),
        "team_errors": team_errors or {}, "team_form": team_form or {},
    }, nav="budgets", title="Budgets", status=status)


@admin_required
def budgets_view(request: HttpRequest) -> HttpResponse:
    return _budgets_page(request)


@admin_required
@require_POST
def budget_create_view(request: HttpRequest) -> HttpResponse:
    p = request.POST
    scope = p.get("scope", "")
    target = _int(p.get(f"{scope}_id")) if scope in ("token", "user", "team") else None
    kwargs: dict[str, Any] = {scope: target} if scope in ("token", "user", "team") else {}
    soft = p.get("soft_limit_percent", "").strip()
    try:
        budget = budget_create(actor=request.user, amount_usd=p.get("amount_usd", ""), period=p.get("period", ""),
                               soft_limit_percent=(int(soft) if soft.isdigit() else soft or None), **kwargs)
    except ServiceValidationError as exc:
        return _budgets_page(request, errors=exc.errors, form=p.dict(), status=400)
    messages.success(request, f"Budget of ${budget.amount_usd} per {budget.period} created.")
    return redirect("budgets")


@admin_required
@require_POST
def budget_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    budget_delete(actor=request.user, budget=get_object_or_404(Budget, pk=pk))
    messages.success(request, "Budget deleted.")
    return redirect("budgets")


def _prices_page(request: HttpRequest, *, errors: dict[str, list[str]] | None = None,
                 form: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    return render_page(request, "usage/prices.html", {
        "rows": price_rows(), "overrides": list(PriceOverride.objects.order_by("model_id", "-effective_from")),
        "errors": errors or {}, "form": form or {}, "price_fields": PRICE_FIELDS,
        "admin": is_admin(request.user),
    }, nav="prices", title="Prices", status=status)


@developer_required
def prices_view(request: HttpRequest) -> HttpResponse:
    return _prices_page(request)


@admin_required
@require_POST
def price_override_create_view(request: HttpRequest) -> HttpResponse:
    p = request.POST
    data: dict[str, Any] = {"model_id": p.get("model_id", ""), "note": p.get("note", "")}
    when = p.get("effective_from", "").strip()
    if when:
        parsed = parse_datetime(when)
        data["effective_from"] = parsed.replace(tzinfo=UTC) if parsed and parsed.tzinfo is None else parsed or when
    else:
        data["effective_from"] = datetime.now(UTC)
    for field in PRICE_FIELDS:
        if p.get(field, "").strip():
            data[field] = p[field].strip()
    try:
        override = price_override_create(actor=request.user, **data)
    except ServiceValidationError as exc:
        return _prices_page(request, errors=exc.errors, form=p.dict(), status=400)
    messages.success(request, f"Price of {override.model_id} corrected from {override.effective_from:%Y-%m-%d %H:%M} UTC.")
    return redirect("prices")


@admin_required
@require_POST
def price_override_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    price_override_delete(actor=request.user, override=get_object_or_404(PriceOverride, pk=pk))
    messages.success(request, "Override deleted; the shipped price applies again.")
    return redirect("prices")



@admin_required
@require_POST
def team_create_view(request: HttpRequest) -> HttpResponse:
    members = [int(v) for v in request.POST.getlist("members") if v.isdigit() and len(v) < 19]
    try:
        team = team_create(actor=request.user, name=request.POST.get("name", ""), members=members)
    except ServiceValidationError as exc:
        return _budgets_page(request, team_errors=exc.errors, status=400,
                             team_form={"name": request.POST.get("name", ""), "members": members})
    messages.success(request, f"Team \u201c{team.name}\u201d created.")
    return redirect("budgets")


@admin_required
@require_POST
def team_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    team_delete(actor=request.user, team=get_object_or_404(Team, pk=pk))
    messages.success(request, "Team deleted, with its budgets.")
    return redirect("budgets")

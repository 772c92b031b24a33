"""Overview: every key with its identity, health and model counts; what needs attention first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from gateway_admin.permissions import developer_required, is_admin
from gateway_admin.selectors.overview import overview_key_rows, overview_totals
from gateway_admin.selectors.request_log import COUNTS_DEFINITION
from gateway_admin.selectors.usage import overview_spend

from .base import render_page


@developer_required
def overview(request: HttpRequest) -> HttpResponse:
    # The overview shows credential identities, which developers must not see: their home is the playground.
    if not is_admin(request.user):
        return redirect("playground")
    rows = overview_key_rows()
    return render_page(request, "overview/overview.html",
                       {"rows": rows, "totals": overview_totals(rows), "spend": overview_spend(),
                        "counts_definition": COUNTS_DEFINITION}, nav="overview", title="Keys overview")

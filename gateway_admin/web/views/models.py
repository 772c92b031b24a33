"""Models: the merged list per key and across keys, search, and refresh with visible progress."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from gateway_admin.models import VertexKey
from gateway_admin.permissions import developer_required
from gateway_admin.selectors.dashboard import listing_status, models_page
from gateway_admin.services import listings as listing_services

from .base import render_page


@developer_required
def models_view(request: HttpRequest) -> HttpResponse:
    key_param = request.GET.get("key", "")
    key_id = int(key_param) if key_param.isdigit() else None
    query = request.GET.get("q", "")[:100]
    listings, across = models_page(key_id=key_id, query=query)
    keys = [(kl.key_id, kl.name) for kl in listings] if key_id is None else list(
        VertexKey.objects.order_by("name").values_list("id", "name"))
    if key_id is not None and not listings:
        raise Http404("No such key.")
    return render_page(request, "models/models.html", {
        "listings": listings, "across": across, "query": query, "key_id": key_id, "keys": keys,
        "refreshing": any(kl.refreshing for kl in listings),
    }, nav="models", title="Models")


@developer_required
@require_POST
def models_refresh_view(request: HttpRequest) -> JsonResponse:
    """Ask for a refresh of one key's listing (key_id) or of every enabled key's."""
    key_param = request.POST.get("key_id", "")
    if key_param:
        if not key_param.isdigit() or not VertexKey.objects.filter(pk=int(key_param)).exists():
            return JsonResponse({"error": "No such key."}, status=404)
        ids = [int(key_param)]
    else:
        ids = list(VertexKey.objects.filter(enabled=True).values_list("id", flat=True))
    for key_id in ids:
        listing_services.listing_refresh_enqueue(key_id=key_id)
    return JsonResponse({"queued": ids, "status": listing_status()})


@developer_required
def models_status_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": listing_status()})

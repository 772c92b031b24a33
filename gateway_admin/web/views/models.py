"""Models: the merged list per key and across keys, search, and refresh with visible progress."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from gateway_admin.models import VertexKey
from gateway_admin.permissions import developer_required, is_developer
from gateway_admin.selectors.models import listing_status, models_page
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
    # A search shows only the keys that have a match; the rest are counted, not listed as "0".
    shown = [kl for kl in listings if kl.entries] if query and key_id is None else listings
    return render_page(request, "models/models.html", {
        "listings": shown, "hidden_keys": len(listings) - len(shown),
        "across": across, "query": query, "key_id": key_id, "keys": keys,
        "refreshing": any(kl.refreshing for kl in listings),
    }, nav="models", title="Models")


def _keys_to_refresh(key_param: str) -> list[int] | None:
    if key_param:
        if not key_param.isdigit() or not VertexKey.objects.filter(pk=int(key_param)).exists():
            return None
        return [int(key_param)]
    return list(VertexKey.objects.filter(enabled=True).order_by("name").values_list("id", flat=True))


def _refresh_in_own_thread(key_id: int) -> None:
    try:
        listing_services.listing_refresh_enqueue(key_id=key_id)
    finally:
        connections.close_all()  # this worker thread's connections only


@require_POST
async def models_refresh_view(request: HttpRequest) -> JsonResponse:
    """Ask for a refresh of one key's listing (key_id) or of every enabled key's.

    With a broker this only enqueues. Without one (the embedded mode) each refresh runs here, so the
    keys are refreshed side by side, each in a thread of its own: Refresh all takes as long as the
    slowest key, not the sum. The view is async so that the page's status polls are answered while
    the refreshes run."""
    user = await request.auser()
    if not user.is_authenticated:
        return JsonResponse({"error": "Sign in first."}, status=401)
    if not await sync_to_async(is_developer)(user):
        raise PermissionDenied("Your role does not allow this page.")
    ids = await sync_to_async(_keys_to_refresh)(request.POST.get("key_id", ""))
    if ids is None:
        return JsonResponse({"error": "No such key."}, status=404)
    if len(ids) == 1:
        await sync_to_async(listing_services.listing_refresh_enqueue)(key_id=ids[0])
    else:
        await asyncio.gather(*(sync_to_async(_refresh_in_own_thread, thread_sensitive=False)(key_id)
                               for key_id in ids))
    return JsonResponse({"queued": ids, "status": await sync_to_async(listing_status)()})


@developer_required
def models_status_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": listing_status()})

"""Config REST API under /api/v1/ (model listing routes live in api/models_urls.py)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import SimpleRouter

from gateway_admin.api.views.audit import AuditLogViewSet
from gateway_admin.api.views.keys import KeyViewSet
from gateway_admin.api.views.tokens import TokenViewSet
from gateway_admin.api.views.usage import (
    BudgetViewSet,
    PriceOverrideViewSet,
    PricesView,
    TeamViewSet,
    UsageView,
)
from gateway_admin.api.views.users import UserViewSet

router = SimpleRouter()
router.register("keys", KeyViewSet, basename="api-key")
router.register("tokens", TokenViewSet, basename="api-token")
router.register("users", UserViewSet, basename="api-user")
router.register("audit-log", AuditLogViewSet, basename="api-audit-log")
router.register("budgets", BudgetViewSet, basename="api-budget")
router.register("teams", TeamViewSet, basename="api-team")
router.register("prices/overrides", PriceOverrideViewSet, basename="api-price-override")


@csrf_exempt  # it changes nothing; a CSRF refusal would answer with an HTML page instead
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Unknown /api/v1 paths answer in the API's error format, not with an HTML page."""
    detail = "Not found."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            detail = f"Not found. Did you mean {request.path}/ ?"
    return JsonResponse({"detail": detail, "code": "not_found", "errors": {}}, status=404)


# Last: the models_urls routes are included before this module under the same prefix.
urlpatterns = [
    *router.urls,
    path("prices/", PricesView.as_view(), name="api-prices"),
    path("usage/", UsageView.as_view(), name="api-usage"),
    re_path(r"^", api_not_found),
]

"""Config REST API under /api/v1/ (model listing routes live in api/models_urls.py)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from gateway_admin.api.views.audit import AuditLogViewSet
from gateway_admin.api.views.keys import KeyViewSet
from gateway_admin.api.views.tokens import TokenViewSet
from gateway_admin.api.views.users import UserViewSet

router = SimpleRouter()
router.register("keys", KeyViewSet, basename="api-key")
router.register("tokens", TokenViewSet, basename="api-token")
router.register("users", UserViewSet, basename="api-user")
router.register("audit-log", AuditLogViewSet, basename="api-audit-log")

urlpatterns = router.urls

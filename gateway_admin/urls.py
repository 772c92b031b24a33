"""URL map. Each area owns its own urls module:

- gateway_admin/api/urls.py         configuration REST API under /api/v1/ (keys, tokens, logs, ...)
- gateway_admin/api/models_urls.py  model listings under /api/v1/ (keys/{id}/models/, models/, preview)
- gateway_admin/anthropic_api/urls.py  Anthropic Messages API under /v1/messages (before the OpenAI catch-all)
- gateway_admin/openai_api/urls.py  OpenAI-compatible gateway under /v1/
- gateway_admin/vertex_api/urls.py  Vertex AI pass-through under /vertex/
- gateway_admin/sso/urls.py         sign-in with the identity provider under /oidc/
- gateway_admin/web/urls.py         the dashboard and playground pages
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from gateway_admin.api.urls import api_not_found
from gateway_admin.metrics import metrics_view

# Both API documents in one Swagger UI; its init script is a same-origin file, so CSP needs no inline script.
from gateway_admin.web.views.docs import api_docs

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("gateway_admin.api.models_urls")),
    path("api/v1/", include("gateway_admin.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    re_path(r"^api/", api_not_found),  # any other /api/ path: the config API's JSON 404, not a page
    path("v1/", include("gateway_admin.anthropic_api.urls")),
    path("v1/", include("gateway_admin.openai_api.urls")),
    path("vertex/", include("gateway_admin.vertex_api.urls")),
    path("oidc/", include("gateway_admin.sso.urls")),
    path("metrics", metrics_view, name="metrics"),
    path("", include("gateway_admin.web.urls")),
]

"""Model listings under /api/v1/: per key, all keys, refresh, and preview of an unsaved config."""

from __future__ import annotations

from django.urls import path

from gateway_admin.api import models_views

urlpatterns = [
    path("keys/preview-models/", models_views.PreviewModelsView.as_view(), name="api-models-preview"),
    path("keys/<int:pk>/models/", models_views.KeyModelsView.as_view(), name="api-key-models"),
    path("keys/<int:pk>/models/refresh/", models_views.KeyModelsRefreshView.as_view(), name="api-key-models-refresh"),
    path("models/", models_views.AllModelsView.as_view(), name="api-models"),
]

"""Dashboard and playground pages. URL names are part of the contract (see CONTRACTS.md)."""

from django.urls import path

from gateway_admin.sso import views as sso_views
from gateway_admin.web.views import keys, logs, models, overview, playground, settings

urlpatterns = [
    path("login/", sso_views.LoginView.as_view(), name="login"),
    path("logout/", sso_views.LogoutView.as_view(), name="logout"),
    path("", overview.overview, name="overview"),
    path("keys/new/", keys.key_create_view, name="key-create"),
    path("keys/check-credentials/", keys.key_credentials_check_view, name="key-credentials-check"),
    path("keys/preview/", keys.key_preview_view, name="key-preview"),
    path("keys/test/", keys.key_test_draft_view, name="key-test-draft"),
    path("keys/<int:pk>/", keys.key_edit_view, name="key-edit"),
    path("keys/<int:pk>/delete/", keys.key_delete_view, name="key-delete"),
    path("keys/<int:pk>/test/", keys.key_test_view, name="key-test"),
    path("models/", models.models_view, name="models"),
    path("models/refresh/", models.models_refresh_view, name="models-refresh"),
    path("models/status/", models.models_status_view, name="models-status"),
    path("playground/", playground.playground_view, name="playground"),
    path("playground/send/", playground.playground_send_view, name="playground-send"),
    path("logs/requests/", logs.request_log_view, name="request-log"),
    path("logs/requests/<int:pk>/", logs.request_log_detail_view, name="request-log-detail"),
    path("logs/audit/", logs.audit_log_view, name="audit-log"),
    path("settings/", settings.settings_view, name="settings"),
    path("settings/tokens/new/", settings.token_create_view, name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", settings.token_revoke_view, name="token-revoke"),
    path("settings/users/new/", settings.user_create_view, name="user-create"),
    path("settings/users/<int:pk>/role/", settings.user_role_view, name="user-role"),
]

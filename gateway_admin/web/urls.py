"""Dashboard and playground pages. URL names are part of the contract (see CONTRACTS.md)."""

from django.urls import path

from gateway_admin.sso import views as sso_views
from gateway_admin.web.views import keys, logs, models, overview, playground, settings, usage

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
    path("playground/stopped/", playground.playground_stopped_view, name="playground-stopped"),
    path("logs/requests/", logs.request_log_view, name="request-log"),
    path("logs/requests/<int:pk>/", logs.request_log_detail_view, name="request-log-detail"),
    path("logs/audit/", logs.audit_log_view, name="audit-log"),
    path("usage/", usage.usage_view, name="usage"),
    path("usage/budgets/", usage.budgets_view, name="budgets"),
    path("usage/budgets/new/", usage.budget_create_view, name="budget-create"),
    path("usage/budgets/<int:pk>/delete/", usage.budget_delete_view, name="budget-delete"),
    path("usage/teams/new/", usage.team_create_view, name="team-create"),
    path("usage/teams/<int:pk>/delete/", usage.team_delete_view, name="team-delete"),
    path("usage/prices/", usage.prices_view, name="prices"),
    path("usage/prices/overrides/new/", usage.price_override_create_view, name="price-override-create"),
    path("usage/prices/overrides/<int:pk>/delete/", usage.price_override_delete_view, name="price-override-delete"),
    path("settings/", settings.settings_view, name="settings"),
    path("settings/tokens/new/", settings.token_create_view, name="token-create"),
    path("settings/tokens/<int:pk>/revoke/", settings.token_revoke_view, name="token-revoke"),
    path("settings/users/new/", settings.user_create_view, name="user-create"),
    path("settings/users/<int:pk>/role/", settings.user_role_view, name="user-role"),
    path("settings/users/<int:pk>/active/", settings.user_active_view, name="user-active"),
    path("settings/users/<int:pk>/password/", settings.user_password_view, name="user-password"),
    path("settings/users/<int:pk>/delete/", settings.user_delete_view, name="user-delete"),
]

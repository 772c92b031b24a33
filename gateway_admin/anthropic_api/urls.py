"""The Anthropic Messages API, mounted at /v1/ before the OpenAI surface (whose catch-all answers
unknown paths)."""

from django.urls import path

from . import views

urlpatterns = [
    path("messages", views.messages, name="anthropic-messages"),
    path("messages/count_tokens", views.count_tokens, name="anthropic-count-tokens"),
]

"""The OpenAI-compatible gateway, mounted at /v1/ (see views/)."""

from django.urls import path, re_path

from .views import chat, embeddings, fallback, models

urlpatterns = [
    path("chat/completions", chat.chat_completions, name="v1-chat-completions"),
    path("responses", chat.responses, name="v1-responses"),
    path("embeddings", embeddings.embeddings, name="v1-embeddings"),
    path("models", models.model_list, name="v1-models"),
    path("models/<path:model>", models.model_detail, name="v1-model"),
    re_path(r"^", fallback.unknown_path),
]

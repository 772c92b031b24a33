"""The OpenAI-compatible gateway, mounted at /v1/ (see views/ and, for the OpenAPI document, openapi.py)."""

from django.urls import path, re_path

from .openapi import openapi_json
from .views import chat, embeddings, fallback, images, models, videos

urlpatterns = [
    path("chat/completions", chat.chat_completions, name="v1-chat-completions"),
    path("responses", chat.responses, name="v1-responses"),
    path("embeddings", embeddings.embeddings, name="v1-embeddings"),
    path("models", models.model_list, name="v1-models"),
    path("models/<path:model>", models.model_detail, name="v1-model"),
    path("images/generations", images.generations, name="v1-images-generations"),
    path("images/edits", images.edits, name="v1-images-edits"),
    path("videos", videos.videos, name="v1-videos"),
    path("videos/<str:video_id>", videos.video_detail, name="v1-video"),
    path("videos/<str:video_id>/content", videos.video_content, name="v1-video-content"),
    path("openapi.json", openapi_json, name="v1-openapi"),
    re_path(r"^", fallback.unknown_path),
]

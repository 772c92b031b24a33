"""The Vertex pass-through, mounted at /vertex/ (every path goes to one view, which answers
unknown paths with a Google-shaped 404)."""

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^(?P<rest>.*)$", views.passthrough, name="vertex-passthrough"),
]

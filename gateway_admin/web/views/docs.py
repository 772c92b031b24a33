"""API docs: one Swagger UI page (served locally, no internet) with both documents behind its
definition selector: the configuration API (/api/schema/, drf-spectacular's OpenAPI 3.0) and the
OpenAI-compatible /v1 (/v1/openapi.json, OpenAPI 3.1, written by hand in openai_api/openapi.py)."""

from __future__ import annotations

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    # The init script names both documents; the HTML page and its same-origin script stay drf-spectacular's.
    template_name_js = "api_docs/swagger_ui.js"
    title = "Vertex Gateway API docs"


# Swagger UI's page has one small inline <style> block (and sets inline styles itself).
api_docs = csp_update({"style-src": ["'unsafe-inline'"]})(ApiDocsView.as_view(url_name="schema"))

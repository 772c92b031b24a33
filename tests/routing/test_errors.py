"""Vertex error answers become errors a user can act on."""

from __future__ import annotations

import pytest

from routing.catalog import Catalog
from routing.errors import (
    AuthenticationError,
    InvalidRequestError,
    RateLimitError,
    RoutingError,
    StreamInterruptedError,
    UpstreamNotFoundError,
    UpstreamPermissionError,
    UpstreamServerError,
    UpstreamTimeoutError,
    error_from_vertex,
    vertex_error_detail,
)


def vertex_body(code: int, status: str, message: str = "details") -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


def err(status: int, body=None, *, target="claude-3-5-haiku@20241022", region="global", **kw) -> RoutingError:
    body = body if body is not None else vertex_body(status, "X")
    return error_from_vertex(status, body, target=target, region=region, project_id="my-project",
                             catalog=kw.pop("catalog", Catalog()), **kw)


def test_a_404_on_global_says_where_the_model_is_served_and_mentions_enablement():
    e = err(404, vertex_body(404, "NOT_FOUND", "Publisher Model was not found"))
    assert isinstance(e, UpstreamNotFoundError) and e.status == 404 and not e.retryable
    assert e.user_message.startswith(
        "claude-3-5-haiku@20241022 is not served on global; it is served in us-east5, europe-west1")
    assert "or it is not enabled for project my-project" in e.user_message
    assert "Publisher Model was not found" in e.user_message


def test_a_404_in_a_region_that_serves_the_model_points_at_enablement():
    e = err(404, region="us-east5")
    assert "normally served there" in e.user_message and "Model Garden" in e.user_message


def test_a_404_for_a_model_the_catalog_does_not_know_still_names_region_and_project():
    e = err(404, target="brand-new-model-001", region="us-central1")
    assert "brand-new-model-001 is not served in us-central1, or it is not enabled for project my-project" \
        in e.user_message


def test_a_404_for_a_tuned_endpoint_asks_to_check_the_endpoint_id_and_project_number():
    e = err(404, target="1234567890", region="us-central1")
    assert "Endpoint 1234567890 was not found" in e.user_message and "project number" in e.user_message


def test_a_403_for_a_partner_model_names_the_permission_role_model_garden_and_org_policy():
    e = err(403, vertex_body(403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied"))
    assert isinstance(e, UpstreamPermissionError) and not e.retryable
    for needle in ("aiplatform.endpoints.predict", "roles/aiplatform.user", "Model Garden", "organisation policy"):
        assert needle in e.user_message


def test_a_403_for_gemini_does_not_talk_about_partner_model_enablement():
    e = err(403, target="gemini-2.0-flash", region="us-central1")
    assert "aiplatform.endpoints.predict" in e.user_message and "Model Garden" not in e.user_message


def test_a_403_for_a_disabled_api_says_to_enable_it():
    e = err(403, vertex_body(403, "SERVICE_DISABLED", "Vertex AI API has not been used in project 1"))
    assert "Enable aiplatform.googleapis.com" in e.user_message


def test_a_429_is_retryable_quota_and_suggests_global_where_the_model_is_served_there():
    e = err(429, vertex_body(429, "RESOURCE_EXHAUSTED", "Quota exceeded"), target="gemini-2.0-flash",
            region="us-central1", retry_after=7.0)
    assert isinstance(e, RateLimitError) and e.retryable and e.status == 429 and e.retry_after == 7.0
    assert "Quota exceeded for gemini-2.0-flash in us-central1" in e.user_message
    assert "use the global endpoint" in e.user_message


def test_a_429_does_not_suggest_global_where_the_model_is_not_served_there_or_already_used():
    assert "global endpoint" not in err(429, region="us-east5").user_message
    assert "global endpoint" not in err(429, target="gemini-2.0-flash", region="global").user_message


def test_a_401_is_a_credential_problem():
    e = err(401, vertex_body(401, "UNAUTHENTICATED"))
    assert isinstance(e, AuthenticationError) and not e.retryable
    assert "credential" in e.user_message and "my-project" in e.user_message


@pytest.mark.parametrize(("status", "kind"), [(500, UpstreamServerError), (502, UpstreamServerError),
                                              (503, UpstreamServerError), (504, UpstreamTimeoutError)])
def test_server_errors_are_retryable(status, kind):
    e = err(status)
    assert isinstance(e, kind) and e.retryable and e.upstream_status == status


def test_a_400_keeps_vertex_explanation():
    e = err(400, vertex_body(400, "INVALID_ARGUMENT", "max_tokens: must be positive"))
    assert isinstance(e, InvalidRequestError) and e.status == 400 and not e.retryable
    assert "max_tokens: must be positive" in e.user_message


def test_bodies_that_are_not_vertex_json_are_summarised():
    assert vertex_error_detail(b"<html><body>Bad   gateway</body></html>") == (
        "", "<html><body>Bad gateway</body></html>")
    assert vertex_error_detail([vertex_body(429, "RESOURCE_EXHAUSTED", "q")]) == ("RESOURCE_EXHAUSTED", "q")
    assert vertex_error_detail({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}) == (
        "overloaded_error", "busy")
    e = err(502, b"<html>proxy error</html>")
    assert isinstance(e, UpstreamServerError) and "proxy error" in e.user_message


def test_a_long_upstream_message_is_cut_short():
    e = err(400, vertex_body(400, "INVALID_ARGUMENT", "x" * 5000))
    assert len(e.user_message) < 600


def test_errors_summarise_themselves_for_logs_and_api_bodies():
    info = StreamInterruptedError("cut").info()
    assert (info.type, info.message, info.status) == ("stream_interrupted", "cut", 502)

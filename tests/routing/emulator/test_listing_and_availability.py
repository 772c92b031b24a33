"""List Models pagination, custom models, availability 404s and unknown projects."""

from __future__ import annotations

import pytest

from tests.routing.emulator.conftest import vertex_path

LIST = "/v1/projects/demo-project/locations/us-central1/models"
CLAUDE_BODY = {"anthropic_version": "vertex-2023-10-16", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def _all_pages(api, path: str, page_size: int) -> tuple[list[dict], int]:
    models, token, pages = [], None, 0
    while True:
        params = {"pageSize": page_size} | ({"pageToken": token} if token else {})
        body = api.get(path, params=params).json()
        pages += 1
        models += body.get("models", [])
        token = body.get("nextPageToken")
        if not token:
            return models, pages


def test_the_demo_project_lists_custom_models_some_deployed_some_not(vertex, api):
    models = api.get(LIST).json()["models"]
    deployed = [m for m in models if m.get("deployedModels")]
    assert deployed and len(deployed) < len(models)
    endpoint = deployed[0]["deployedModels"][0]["endpoint"]
    assert endpoint.startswith("projects/") and "/endpoints/" in endpoint
    assert endpoint.rsplit("/", 1)[-1].isdigit()


def test_pagination_walks_every_model_once(vertex, api):
    models = [{"displayName": f"model-{i}"} for i in range(7)]
    vertex.set_custom_models("demo-project", "europe-west4", models)
    path = "/v1/projects/demo-project/locations/europe-west4/models"
    listed, pages = _all_pages(api, path, page_size=3)
    assert [m["displayName"] for m in listed] == [f"model-{i}" for i in range(7)]
    assert pages == 3
    assert listed[0]["name"].startswith("projects/demo-project/locations/europe-west4/models/")


def test_the_last_page_has_no_next_page_token(vertex, api):
    vertex.set_custom_models("demo-project", "europe-west4", [{"displayName": "only"}])
    body = api.get("/v1/projects/demo-project/locations/europe-west4/models", params={"pageSize": 1}).json()
    assert "nextPageToken" not in body and len(body["models"]) == 1


def test_a_region_without_custom_models_lists_nothing(vertex, api):
    response = api.get("/v1/projects/demo-project/locations/asia-northeast1/models")
    assert response.status_code == 200
    assert response.json() == {}


def test_a_bad_page_token_is_invalid_argument(vertex, api):
    response = api.get(LIST, params={"pageToken": "not-a-token"})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_reset_restores_the_demo_models(vertex, api):
    vertex.set_custom_models("demo-project", "us-central1", [])
    assert api.get(LIST).json() == {}
    vertex.reset()
    assert api.get(LIST).json()["models"]


def test_claude_3_5_haiku_on_global_gets_vertex_404_from_the_catalog(vertex, api):
    path = vertex_path("claude-3-5-haiku@20241022", "rawPredict", region="global", publisher="anthropic")
    response = api.post(path, json=CLAUDE_BODY)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": 404,
            "message": "Publisher Model `projects/demo-project/locations/global/publishers/anthropic/models/"
            "claude-3-5-haiku@20241022` not found.",
            "status": "NOT_FOUND",
        }
    }
    regional = vertex_path("claude-3-5-haiku@20241022", "rawPredict", region="us-east5", publisher="anthropic")
    assert api.post(regional, json=CLAUDE_BODY).status_code == 200


def test_availability_can_be_overridden_per_model_and_region(vertex, api):
    vertex.set_availability("gemini-2.0-flash", "europe-west1", served=False)
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert api.post(vertex_path("gemini-2.0-flash", "generateContent", region="europe-west1"), json=body).status_code == 404
    assert api.post(vertex_path("gemini-2.0-flash", "generateContent", region="europe-west4"), json=body).status_code == 200
    vertex.reset()
    assert api.post(vertex_path("gemini-2.0-flash", "generateContent", region="europe-west1"), json=body).status_code == 200


@pytest.mark.parametrize("path", [LIST.replace("demo-project", "nobody"), vertex_path("gemini-2.0-flash", "generateContent", project="nobody")])
def test_an_unknown_project_is_permission_denied(vertex, api, path):
    response = api.get(path) if path.endswith("/models") else api.post(path, json={"contents": []})
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    assert "projects/nobody/" in response.json()["error"]["message"]


def test_an_added_project_is_known(vertex, api):
    vertex.add_project("team-b")
    assert api.get(LIST.replace("demo-project", "team-b")).status_code == 200

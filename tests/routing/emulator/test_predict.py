"""Embeddings, Imagen and Veo through `:predict` and the long-running operation calls."""

from __future__ import annotations

import base64
import math
import struct
import zlib

import pytest
from google import genai
from google.genai import types
from google.oauth2 import service_account

from tests.routing.emulator.conftest import SCOPES, vertex_path


def _embed(api, model: str, texts: list[str], **parameters) -> dict:
    body = {"instances": [{"content": t, "task_type": "RETRIEVAL_DOCUMENT"} for t in texts], "parameters": parameters}
    return api.post(vertex_path(model, "predict"), json=body)


def test_embeddings_are_deterministic_unit_vectors(vertex, api):
    first = _embed(api, "gemini-embedding-001", ["the same text", "another text"]).json()
    again = _embed(api, "gemini-embedding-001", ["the same text"]).json()
    values = first["predictions"][0]["embeddings"]["values"]
    assert len(values) == 3072
    assert values == again["predictions"][0]["embeddings"]["values"]
    assert values != first["predictions"][1]["embeddings"]["values"]
    assert math.isclose(math.sqrt(sum(v * v for v in values)), 1.0)
    assert first["predictions"][0]["embeddings"]["statistics"] == {"token_count": 4, "truncated": False}


@pytest.mark.parametrize("model", ["text-embedding-005", "text-multilingual-embedding-002"])
def test_output_dimensionality_is_honoured(vertex, api, model):
    body = _embed(api, model, ["hello"], outputDimensionality=256).json()
    assert len(body["predictions"][0]["embeddings"]["values"]) == 256
    assert len(_embed(api, model, ["hello"]).json()["predictions"][0]["embeddings"]["values"]) == 768


def test_long_input_is_truncated_unless_auto_truncate_is_off(vertex, api):
    long_text = "word " * 3000
    stats = _embed(api, "text-embedding-005", [long_text]).json()["predictions"][0]["embeddings"]["statistics"]
    assert stats == {"token_count": 2048, "truncated": True}
    refused = _embed(api, "text-embedding-005", [long_text], autoTruncate=False)
    assert refused.status_code == 400
    assert "input token count" in refused.json()["error"]["message"]


def test_a_bad_dimensionality_is_invalid(vertex, api):
    response = _embed(api, "text-embedding-005", ["x"], outputDimensionality=0)
    assert response.status_code == 400
    assert "outputDimensionality" in response.json()["error"]["message"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, size, idat = 8, None, b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, chunk = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + chunk)
        if kind == b"IHDR":
            size = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    width, height = size
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def test_imagen_predict_returns_valid_pngs(vertex, api):
    body = {"instances": [{"prompt": "a lighthouse at dusk"}], "parameters": {"sampleCount": 2}}
    predictions = api.post(vertex_path("imagen-3.0-generate-002", "predict"), json=body).json()["predictions"]
    assert len(predictions) == 2
    for prediction in predictions:
        assert prediction["mimeType"] == "image/png"
        assert _png_size(base64.b64decode(prediction["bytesBase64Encoded"])) == (32, 32)


def test_veo_operation_is_done_after_a_few_polls_with_the_genai_sdk(vertex):
    credentials = service_account.Credentials.from_service_account_info(vertex.service_account, scopes=SCOPES)
    client = genai.Client(
        vertexai=True, project=vertex.project_id, location="us-central1", credentials=credentials,
        http_options=types.HttpOptions(base_url=vertex.base_url),
    )
    operation = client.models.generate_videos(
        model="veo-3.0-generate-001", source=types.GenerateVideosSource(prompt="waves on a beach")
    )
    polls = 0
    while not operation.done:
        operation = client.operations.get(operation)
        polls += 1
        assert polls < 5
    assert polls == 2
    video = operation.response.generated_videos[0].video
    assert video.mime_type == "video/mp4"
    assert video.video_bytes[4:8] == b"ftyp"
    assert vertex.requests(":predictLongRunning") and len(vertex.requests(":fetchPredictOperation")) == 2


def test_an_unknown_operation_is_not_found(vertex, api):
    path = vertex_path("veo-3.0-generate-001", "fetchPredictOperation")
    response = api.post(path, json={"operationName": "projects/demo-project/locations/us-central1/operations/nope"})
    assert response.status_code == 404


@pytest.mark.filterwarnings("ignore:The generate_images method is deprecated")
def test_imagen_works_with_the_genai_sdk(vertex):
    credentials = service_account.Credentials.from_service_account_info(vertex.service_account, scopes=SCOPES)
    client = genai.Client(
        vertexai=True, project=vertex.project_id, location="us-central1", credentials=credentials,
        http_options=types.HttpOptions(base_url=vertex.base_url),
    )
    result = client.models.generate_images(
        model="imagen-3.0-generate-002", prompt="a red bicycle", config=types.GenerateImagesConfig(number_of_images=1)
    )
    image = result.generated_images[0].image
    assert image.mime_type == "image/png"
    assert _png_size(image.image_bytes) == (32, 32)

"""Embeddings, Imagen, Gemini image models and Veo: request bodies and answers."""

from __future__ import annotations

import base64
import struct

import pytest

from routing.errors import InvalidRequestError
from routing.families import REGISTRY

EMB = REGISTRY["embedding"]
IMAGEN = REGISTRY["imagen"]
GEMINI = REGISTRY["gemini"]
VEO = REGISTRY["veo"]
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()


def test_embeddings_send_instances_and_parameters_like_google_genai():
    wire = EMB.build_embeddings({"input": ["a", "b"], "dimensions": 8, "task_type": "RETRIEVAL_DOCUMENT",
                                 "title": "t", "autoTruncate": False}, target="text-embedding-005")
    assert wire.resource == "publishers/google/models/text-embedding-005:predict"
    assert wire.body == {"instances": [{"content": "a", "task_type": "RETRIEVAL_DOCUMENT", "title": "t"},
                                       {"content": "b", "task_type": "RETRIEVAL_DOCUMENT", "title": "t"}],
                         "parameters": {"outputDimensionality": 8, "autoTruncate": False}}


def test_a_string_input_is_one_instance_without_parameters():
    assert EMB.build_embeddings({"input": "a"}, target="text-embedding-005").body == {"instances": [{"content": "a"}]}


@pytest.mark.parametrize(("kw", "param"), [
    ({"input": [1, 2, 3]}, "input"),
    ({"input": ""}, "input"),
    ({"input": "a", "dimensions": 0}, "dimensions"),
    ({"input": "a", "task_type": "NOPE"}, "task_type"),
    ({"input": "a", "title": "t"}, "title"),
    ({"input": "a", "autoTruncate": "yes"}, "autoTruncate"),
])
def test_bad_embedding_requests_name_the_parameter(kw, param):
    with pytest.raises(InvalidRequestError, match=param):
        EMB.build_embeddings(kw, target="text-embedding-005")


def test_gemini_embedding_takes_one_input_per_call():
    with pytest.raises(InvalidRequestError, match="input"):
        EMB.build_embeddings({"input": ["a", "b"]}, target="gemini-embedding-001")


PREDICTIONS = {"predictions": [
    {"embeddings": {"values": [0.5, -0.25], "statistics": {"token_count": 3, "truncated": False}}},
    {"embeddings": {"values": [0.125, 1.0], "statistics": {"token_count": 4, "truncated": True}}},
]}


def test_embeddings_answer_keeps_vertex_statistics_and_sums_tokens():
    out = EMB.parse_embeddings(PREDICTIONS, model="emb")
    assert out["object"] == "list" and out["model"] == "emb"
    assert out["data"][1] == {"object": "embedding", "index": 1, "embedding": [0.125, 1.0],
                              "statistics": {"token_count": 4, "truncated": True}}
    assert out["usage"] == {"prompt_tokens": 7, "total_tokens": 7}


def test_base64_encoding_packs_little_endian_float32():
    out = EMB.parse_embeddings(PREDICTIONS, model="emb", request={"encoding_format": "base64"})
    raw = base64.b64decode(out["data"][0]["embedding"])
    assert struct.unpack("<2f", raw) == (0.5, -0.25)


def test_imagen_maps_n_and_size_to_sample_count_and_aspect_ratio():
    wire = IMAGEN.build_images({"prompt": "a cat", "n": 2, "size": "1792x1024", "negative_prompt": "dogs",
                                "output_format": "jpeg"}, target="imagen-3.0-generate-002")
    assert wire.resource == "publishers/google/models/imagen-3.0-generate-002:predict"
    assert wire.body == {"instances": [{"prompt": "a cat"}], "parameters": {
        "sampleCount": 2, "aspectRatio": "16:9", "negativePrompt": "dogs", "outputOptions": {"mimeType": "image/jpeg"}}}


@pytest.mark.parametrize(("kw", "param"), [
    ({}, "prompt"), ({"prompt": "x", "n": 9}, "n"), ({"prompt": "x", "size": "big"}, "size"),
    ({"prompt": "x", "response_format": "url"}, "response_format"),
])
def test_bad_image_requests_name_the_parameter(kw, param):
    with pytest.raises(InvalidRequestError, match=param):
        IMAGEN.build_images(kw, target="imagen-3.0-generate-002")


def test_imagen_answer_becomes_b64_json_items():
    out = IMAGEN.parse_images({"predictions": [{"bytesBase64Encoded": PNG, "mimeType": "image/png", "prompt": "better"},
                                               {"raiFilteredReason": "blocked"}]}, model="img")
    assert out["data"] == [{"b64_json": PNG, "mime_type": "image/png", "revised_prompt": "better"}]
    assert out["filtered_reasons"] == ["blocked"]


def test_imagen_edit_sends_raw_and_mask_reference_images():
    wire = IMAGEN.build_image_edit({"prompt": "add a hat", "image": f"data:image/png;base64,{PNG}", "mask": PNG},
                                   target="imagen-3.0-capability-001")
    (instance,) = wire.body["instances"]
    assert instance["prompt"] == "add a hat"
    raw, mask = instance["referenceImages"]
    assert raw == {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1,
                   "referenceImage": {"bytesBase64Encoded": PNG, "mimeType": "image/png"}}
    assert mask["referenceType"] == "REFERENCE_TYPE_MASK"
    assert mask["maskImageConfig"]["maskMode"] == "MASK_MODE_USER_PROVIDED"
    assert wire.body["parameters"]["editMode"] == "EDIT_MODE_INPAINT_INSERTION"


def test_gemini_image_models_ask_for_image_output_and_return_inline_images():
    wire = GEMINI.build_images({"prompt": "a cat", "size": "1024x1024"}, target="gemini-2.5-flash-image")
    assert wire.resource == "publishers/google/models/gemini-2.5-flash-image:generateContent"
    assert wire.body["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"],
                                             "imageConfig": {"aspectRatio": "1:1"}}
    out = GEMINI.parse_images({"candidates": [{"content": {"parts": [
        {"text": "Here it is"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]}}]}, model="g")
    assert out["data"] == [{"b64_json": PNG, "mime_type": "image/png"}] and out["text"] == "Here it is"


def test_gemini_image_edits_send_the_image_then_the_prompt_and_refuse_masks():
    wire = GEMINI.build_image_edit({"prompt": "make it blue", "image": [PNG]}, target="gemini-2.5-flash-image")
    assert wire.body["contents"][0]["parts"] == [{"inlineData": {"mimeType": "image/png", "data": PNG}},
                                                 {"text": "make it blue"}]
    with pytest.raises(InvalidRequestError, match="mask"):
        GEMINI.build_image_edit({"prompt": "x", "image": PNG, "mask": PNG}, target="gemini-2.5-flash-image")


OPERATION = "projects/p/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/abc"


def test_veo_starts_a_long_running_prediction():
    wire = VEO.build_video_start({"prompt": "waves", "seconds": "8", "size": "1280x720", "image": PNG},
                                 target="veo-3.0-generate-001")
    assert wire.resource == "publishers/google/models/veo-3.0-generate-001:predictLongRunning"
    assert wire.body == {"instances": [{"prompt": "waves", "image": {"bytesBase64Encoded": PNG, "mimeType": "image/png"}}],
                         "parameters": {"sampleCount": 1, "durationSeconds": 8, "aspectRatio": "16:9",
                                        "resolution": "720p"}}
    started = VEO.parse_video_start({"name": OPERATION}, model="veo")
    assert started["id"] == OPERATION and started["status"] == "queued" and started["object"] == "video"


def test_veo_polls_with_the_operation_name_and_reports_progress_then_the_video():
    wire = VEO.build_video_poll(target="veo-3.0-generate-001", operation=OPERATION)
    assert wire.resource == "publishers/google/models/veo-3.0-generate-001:fetchPredictOperation"
    assert wire.body == {"operationName": OPERATION}
    assert VEO.parse_video_poll({"name": OPERATION, "done": False}, model="veo")["status"] == "in_progress"
    done = VEO.parse_video_poll({"name": OPERATION, "done": True, "response": {
        "videos": [{"bytesBase64Encoded": "AAAA", "mimeType": "video/mp4"}]}}, model="veo")
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["videos"] == [{"b64_json": "AAAA", "mime_type": "video/mp4"}]
    failed = VEO.parse_video_poll({"name": OPERATION, "done": True, "error": {"code": 3, "message": "bad"}}, model="veo")
    assert failed["status"] == "failed" and failed["error"] == {"code": "3", "message": "bad"}


def test_veo_refuses_to_poll_another_models_operation():
    with pytest.raises(InvalidRequestError, match="id"):
        VEO.build_video_poll(target="veo-2.0-generate-001", operation=OPERATION)

"""The Gemini emulator signs the function calls of thinking models and checks the signatures sent
back as Vertex does: Gemini 3 refuses a tool-result turn whose function call lost its signature,
Gemini 2.5 accepts it, and a signature that is not the one given is refused."""

from __future__ import annotations

import pytest

from tests.routing.emulator.conftest import vertex_path

TOOLS = [{"functionDeclarations": [{"name": "get_weather", "parameters": {
    "type": "OBJECT", "properties": {"city": {"type": "STRING"}}}}]}]
FORCED = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}}
QUESTION = {"role": "user", "parts": [{"text": "What is the weather in Oslo?"}]}
RESULT = {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp_c": 4}}}]}


def first_call(api, model: str) -> dict:
    body = api.post(vertex_path(model, "generateContent"),
                    json={"contents": [QUESTION], "tools": TOOLS, "toolConfig": FORCED}).json()
    (part,) = [p for p in body["candidates"][0]["content"]["parts"] if "functionCall" in p]
    return part


def follow_up(api, model: str, call_part: dict):
    contents = [QUESTION, {"role": "model", "parts": [call_part]}, RESULT]
    return api.post(vertex_path(model, "generateContent"), json={"contents": contents, "tools": TOOLS})


@pytest.mark.parametrize("model", ["gemini-2.5-flash", "gemini-3-pro-preview"])
def test_a_thinking_model_signs_its_function_call_and_takes_it_back(vertex, api, model):
    part = first_call(api, model)
    assert part["functionCall"]["name"] == "get_weather"
    assert isinstance(part["thoughtSignature"], str) and len(part["thoughtSignature"]) > 20
    answer = follow_up(api, model, part)
    assert answer.status_code == 200, answer.text
    assert answer.json()["candidates"][0]["content"]["parts"][-1]["text"]


def test_a_model_without_thinking_gives_no_signature(vertex, api):
    assert "thoughtSignature" not in first_call(api, "gemini-2.0-flash")


def test_gemini_3_refuses_a_function_call_sent_back_without_its_signature(vertex, api):
    part = first_call(api, "gemini-3-pro-preview")
    answer = follow_up(api, "gemini-3-pro-preview", {"functionCall": part["functionCall"]})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "function call `get_weather` in the 2. content block is missing a `thought_signature`" in error["message"]


def test_gemini_2_5_accepts_a_function_call_without_its_signature(vertex, api):
    part = first_call(api, "gemini-2.5-flash")
    assert follow_up(api, "gemini-2.5-flash", {"functionCall": part["functionCall"]}).status_code == 200


def test_the_documented_skip_value_passes_and_a_foreign_signature_is_refused(vertex, api):
    part = first_call(api, "gemini-3-pro-preview")
    skip = {**part, "thoughtSignature": "skip_thought_signature_validator"}
    assert follow_up(api, "gemini-3-pro-preview", skip).status_code == 200
    moved = {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}, "thoughtSignature": part["thoughtSignature"]}
    refused = follow_up(api, "gemini-3-pro-preview", moved)
    assert refused.status_code == 400 and "Corrupted thought signature" in refused.json()["error"]["message"]


def test_only_the_current_turn_is_checked(vertex, api):
    part = first_call(api, "gemini-3-pro-preview")
    old_turn = [QUESTION, {"role": "model", "parts": [{"functionCall": part["functionCall"]}]}, RESULT,
                {"role": "model", "parts": [{"text": "It is 4 degrees."}]}]
    contents = [*old_turn, {"role": "user", "parts": [{"text": "Thanks! And tomorrow?"}]}]
    answer = api.post(vertex_path("gemini-3-pro-preview", "generateContent"), json={"contents": contents})
    assert answer.status_code == 200, answer.text

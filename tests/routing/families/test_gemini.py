"""Gemini adapter: request building, answer and stream translation."""

from __future__ import annotations

import pytest

from routing.errors import InvalidRequestError, StreamInterruptedError
from routing.families.gemini import SIGNATURE_SEP, GeminiAdapter
from routing.families.tuned import TunedAdapter

ADAPTER = GeminiAdapter()


def chat(**kw):
    return {"model": "my-alias", "messages": [{"role": "user", "content": "Hello"}], **kw}


def build(**kw):
    return ADAPTER.build_chat(chat(**kw), target="gemini-2.0-flash", model="my-alias")


def test_it_builds_a_generate_content_call_with_the_model_in_the_path():
    wire = build()
    assert wire.resource == "publishers/google/models/gemini-2.0-flash:generateContent"
    assert wire.method == "POST" and wire.query == {} and wire.stream is False
    assert wire.body == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}


def test_it_streams_with_alt_sse():
    wire = build(stream=True)
    assert wire.resource.endswith(":streamGenerateContent")
    assert wire.query == {"alt": "sse"} and wire.stream is True


def test_it_sends_tuned_endpoints_to_the_endpoint_path_with_the_gemini_body():
    wire = TunedAdapter().build_chat(chat(stream=True), target="1234567890", model="my-tuned")
    assert wire.resource == "endpoints/1234567890:streamGenerateContent"
    assert wire.body["contents"][0]["parts"] == [{"text": "Hello"}]


def test_it_moves_system_and_developer_messages_into_system_instruction():
    wire = ADAPTER.build_chat({"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Salut"},
        {"role": "user", "content": "Again"},
    ]}, target="gemini-2.0-flash", model="a")
    assert wire.body["systemInstruction"] == {"parts": [{"text": "Be brief.\n\nAnswer in French."}], "role": "user"}
    assert [c["role"] for c in wire.body["contents"]] == ["user", "model", "user"]


def test_it_maps_sampling_parameters_into_generation_config():
    wire = build(temperature=0.3, top_p=0.9, max_completion_tokens=77, stop="END", n=2, seed=7)
    assert wire.body["generationConfig"] == {
        "temperature": 0.3, "topP": 0.9, "maxOutputTokens": 77, "stopSequences": ["END"],
        "candidateCount": 2, "seed": 7,
    }


def test_it_prefers_max_completion_tokens_over_max_tokens():
    assert build(max_tokens=10, max_completion_tokens=20).body["generationConfig"]["maxOutputTokens"] == 20


def test_it_turns_data_urls_into_inline_data_and_http_urls_into_file_data():
    wire = build(messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,aGVsbG8="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]}])
    assert wire.body["contents"][0]["parts"] == [
        {"text": "What is this?"},
        {"inlineData": {"mimeType": "image/jpeg", "data": "aGVsbG8="}},
        {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/cat.png"}},
    ]


def test_it_rejects_a_broken_data_url_naming_the_part():
    with pytest.raises(InvalidRequestError, match=r"messages\[0\].content\[0\].image_url.url"):
        build(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,xx"}}]}])


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]


@pytest.mark.parametrize(("choice", "config"), [
    ("auto", {"mode": "AUTO"}),
    ("none", {"mode": "NONE"}),
    ("required", {"mode": "ANY"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
])
def test_it_maps_tools_and_tool_choice(choice, config):
    wire = build(tools=TOOLS, tool_choice=choice)
    assert wire.body["tools"] == [{"functionDeclarations": [{
        "name": "get_weather", "description": "Weather",
        "parametersJsonSchema": {"type": "object", "properties": {"city": {"type": "string"}}}}]}]
    assert wire.body["toolConfig"] == {"functionCallingConfig": config}


def test_it_rejects_a_tool_choice_naming_an_unknown_function():
    with pytest.raises(InvalidRequestError, match="tool_choice"):
        build(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}})


def test_it_sends_tool_results_as_function_responses_named_after_the_call():
    wire = build(messages=[
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": f"call_2{SIGNATURE_SEP}c2ln", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}},
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
        {"role": "tool", "tool_call_id": f"call_2{SIGNATURE_SEP}c2ln", "content": "sunny"},
    ], tools=TOOLS)
    model_turn, responses = wire.body["contents"][1], wire.body["contents"][2]
    assert model_turn == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}, "thoughtSignature": "c2ln"},
    ]}
    assert responses == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
        {"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}},
    ]}


def test_it_rejects_a_tool_result_without_a_matching_call():
    with pytest.raises(InvalidRequestError, match=r"messages\[1\].tool_call_id"):
        build(messages=[{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "zzz", "content": "1"}])


def test_it_asks_for_json_for_json_object_and_passes_the_schema_for_json_schema():
    assert build(response_format={"type": "json_object"}).body["generationConfig"] == {
        "responseMimeType": "application/json"}
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    config = build(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}).body[
        "generationConfig"]
    assert config == {"responseMimeType": "application/json", "responseJsonSchema": schema}


@pytest.mark.parametrize(("kw", "budget"), [
    ({"reasoning_effort": "low"}, 1024),
    ({"reasoning_effort": "high"}, 16384),
    ({"reasoning_effort": "none"}, 0),
    ({"thinking": {"type": "enabled", "budget_tokens": 2000}}, 2000),
    ({"thinking_budget": -1}, -1),
])
def test_it_sets_the_thinking_budget(kw, budget):
    assert build(**kw).body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": budget}


def test_it_refuses_two_ways_of_setting_the_thinking_budget():
    with pytest.raises(InvalidRequestError, match="thinking"):
        build(reasoning_effort="low", thinking={"type": "enabled", "budget_tokens": 2000})


@pytest.mark.parametrize(("kw", "param"), [
    ({"temperature": 3}, "temperature"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, r"messages\[0\].role"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ({"response_format": {"type": "json_schema"}}, "response_format.json_schema.schema"),
    ({"max_tokens": 0}, "max_tokens"),
])
def test_it_names_the_bad_parameter(kw, param):
    with pytest.raises(InvalidRequestError, match=param):
        build(**kw)


ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [
        {"text": "Let me think", "thought": True}, {"text": "Hello "}, {"text": "there"}]},
        "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 3,
                      "cachedContentTokenCount": 4, "totalTokenCount": 18},
}


def test_it_translates_an_answer_into_a_chat_completion():
    out = ADAPTER.parse_chat(ANSWER, model="my-alias")
    assert out["object"] == "chat.completion" and out["model"] == "my-alias"
    assert out["choices"] == [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": {
        "role": "assistant", "content": "Hello there", "reasoning_content": "Let me think"}}]
    assert out["usage"] == {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18,
                            "prompt_tokens_details": {"cached_tokens": 4},
                            "completion_tokens_details": {"reasoning_tokens": 3}}


@pytest.mark.parametrize(("reason", "expected"), [
    ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
    ("PROHIBITED_CONTENT", "content_filter"), ("OTHER", "stop"), ("SOMETHING_NEW", "stop"),
])
def test_it_maps_finish_reasons(reason, expected):
    body = {"candidates": [{"content": {"parts": [{"text": "x"}]}, "finishReason": reason}]}
    assert ADAPTER.parse_chat(body, model="m")["choices"][0]["finish_reason"] == expected


def test_it_returns_function_calls_as_tool_calls_keeping_the_thought_signature():
    body = {"candidates": [{"content": {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
        "finishReason": "STOP"}]}
    message = ADAPTER.parse_chat(body, model="m")["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    (call,) = message["message"]["tool_calls"]
    assert call["type"] == "function" and call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert call["id"].startswith("call_") and call["id"].endswith(f"{SIGNATURE_SEP}c2ln")
    assert call["extra_content"] == {"google": {"thought_signature": "c2ln"}}
    assert message["message"]["content"] is None


def test_a_call_without_a_signature_has_no_extra_content():
    body = {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "f", "args": {}}}]}}]}
    (call,) = ADAPTER.parse_chat(body, model="m")["choices"][0]["message"]["tool_calls"]
    assert "extra_content" not in call and SIGNATURE_SEP not in call["id"]


def _history(call: dict) -> list[dict]:
    return [{"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "{}"}]


@pytest.mark.parametrize(("call", "signature"), [
    ({"id": "call_1", "extra_content": {"google": {"thought_signature": "c2ln"}}}, "c2ln"),
    ({"id": f"call_1{SIGNATURE_SEP}aWQ="}, "aWQ="),
    ({"id": f"call_1{SIGNATURE_SEP}aWQ=", "extra_content": {"google": {"thought_signature": "c2ln"}}}, "c2ln"),
    ({"id": "call_1"}, None),
])
def test_the_signature_sent_back_goes_on_the_function_call_part(call, signature):
    call = {**call, "type": "function", "function": {"name": "w", "arguments": "{}"}}
    wire = build(messages=_history(call))
    (part,) = wire.body["contents"][1]["parts"]
    assert part["functionCall"] == {"name": "w", "args": {}}
    assert part.get("thoughtSignature") == signature


def test_a_blocked_prompt_gives_an_empty_content_filter_answer():
    out = ADAPTER.parse_chat({"promptFeedback": {"blockReason": "SAFETY"}}, model="m")
    assert out["choices"][0]["finish_reason"] == "content_filter"
    assert out["choices"][0]["message"]["content"] == ""


STREAM = [
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "Hel"}]}}],
     "usageMetadata": {"promptTokenCount": 4, "totalTokenCount": 4}},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "lo"}]}}]},
    {"candidates": [{"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": "MAX_TOKENS"}],
     "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 7}},
]


def test_it_translates_a_stream_chunk_by_chunk_with_a_final_usage_chunk():
    translator = ADAPTER.stream_translator(model="my-alias", include_usage=True)
    first = translator.feed(None, STREAM[0])
    assert first[0]["choices"][0]["delta"] == {"role": "assistant", "content": "Hel"}
    assert first[0]["object"] == "chat.completion.chunk" and first[0]["model"] == "my-alias"
    second = translator.feed(None, STREAM[1])
    assert second[0]["choices"][0]["delta"] == {"content": "lo"}
    last = translator.feed(None, STREAM[2])
    assert [c["choices"][0]["delta"] for c in last] == [{"content": "!"}, {}]
    assert last[-1]["choices"][0]["finish_reason"] == "length"
    closing = translator.finish()
    assert closing == [{**closing[0], "choices": [], "usage": {
        "prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7,
        "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}}}]
    assert len({c["id"] for c in first + second + last + closing}) == 1


def test_a_stream_without_include_usage_ends_without_a_usage_chunk():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    for event in STREAM:
        chunks = translator.feed(None, event)
        assert all("usage" not in c for c in chunks)
    assert translator.finish() == []
    assert translator.usage["total_tokens"] == 7


def test_a_streamed_function_call_becomes_a_tool_call_delta():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    chunks = translator.feed(None, {"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "f", "args": {"a": 1}}}]}, "finishReason": "STOP"}]})
    delta = chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert delta["index"] == 0 and delta["function"] == {"name": "f", "arguments": '{"a":1}'}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_a_streamed_function_call_carries_its_thought_signature():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    chunks = translator.feed(None, {"candidates": [{"content": {"parts": [
        {"functionCall": {"name": "f", "args": {"a": 1}}, "thoughtSignature": "c2ln"}]}, "finishReason": "STOP"}]})
    delta = chunks[0]["choices"][0]["delta"]["tool_calls"][0]
    assert delta["extra_content"] == {"google": {"thought_signature": "c2ln"}}
    assert delta["id"].endswith(f"{SIGNATURE_SEP}c2ln")


def test_an_error_inside_the_stream_raises_a_clean_error():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    with pytest.raises(StreamInterruptedError, match="RESOURCE_EXHAUSTED"):
        translator.feed(None, {"error": {"code": 429, "message": "Quota", "status": "RESOURCE_EXHAUSTED"}})


def test_count_tokens_sends_contents_and_reads_total_tokens():
    wire = ADAPTER.build_count_tokens(chat(), target="gemini-2.0-flash")
    assert wire.resource == "publishers/google/models/gemini-2.0-flash:countTokens"
    assert wire.body == {"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]}
    assert ADAPTER.parse_count_tokens({"totalTokens": 12}, model="a")["input_tokens"] == 12


def test_it_refuses_logprobs_naming_the_parameter():
    with pytest.raises(InvalidRequestError, match="logprobs: is not supported by Gemini"):
        build(logprobs=True)


def test_an_empty_assistant_turn_is_left_out():
    wire = build(messages=[{"role": "user", "content": "a"}, {"role": "assistant", "content": ""},
                           {"role": "user", "content": "b"}])
    assert [c["role"] for c in wire.body["contents"]] == ["user", "user"]


def test_include_thoughts_asks_gemini_for_thought_summaries():
    assert build(reasoning_effort="low", include_thoughts=True).body["generationConfig"]["thinkingConfig"] == {
        "thinkingBudget": 1024, "includeThoughts": True}

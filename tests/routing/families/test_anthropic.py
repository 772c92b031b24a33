"""Claude adapter: Messages body for Vertex, answer and stream translation."""

from __future__ import annotations

import json

import pytest

from routing.errors import InvalidRequestError, StreamInterruptedError
from routing.families.anthropic import ANTHROPIC_VERSION, JSON_TOOL, AnthropicAdapter

ADAPTER = AnthropicAdapter()
TARGET = "claude-sonnet-4-5@20250929"


def chat(**kw):
    return {"model": "claude-fast", "messages": [{"role": "user", "content": "Hey Claude!"}], **kw}


def build(**kw):
    return ADAPTER.build_chat(chat(**kw), target=TARGET, model="claude-fast")


def test_it_moves_the_model_into_the_url_and_fixes_the_vertex_version():
    wire = build(max_tokens=100)
    assert wire.resource == f"publishers/anthropic/models/{TARGET}:rawPredict"
    assert wire.body == {"max_tokens": 100, "messages": [{"role": "user", "content": "Hey Claude!"}],
                         "anthropic_version": "vertex-2023-10-16"}
    assert "model" not in wire.body


def test_it_streams_through_stream_raw_predict():
    wire = build(stream=True)
    assert wire.resource.endswith(":streamRawPredict") and wire.stream is True and wire.query == {}
    assert wire.body["stream"] is True


def test_it_defaults_max_tokens_because_claude_requires_it():
    assert build().body["max_tokens"] == 4096


def test_it_refuses_another_anthropic_version():
    with pytest.raises(InvalidRequestError, match="anthropic_version"):
        build(anthropic_version="2023-06-01")
    assert build(anthropic_version=ANTHROPIC_VERSION).body["anthropic_version"] == ANTHROPIC_VERSION


def test_it_moves_system_messages_to_the_top_level_system():
    wire = build(messages=[{"role": "system", "content": "Be brief."}, {"role": "developer", "content": "Use French."},
                           {"role": "user", "content": "Hi"}])
    assert wire.body["system"] == "Be brief.\n\nUse French."
    assert wire.body["messages"] == [{"role": "user", "content": "Hi"}]


def test_it_maps_sampling_parameters():
    body = build(temperature=0.2, top_p=0.8, stop=["END"], max_completion_tokens=50, user="u-1").body
    assert body["temperature"] == 0.2 and body["top_p"] == 0.8 and body["stop_sequences"] == ["END"]
    assert body["max_tokens"] == 50 and body["metadata"] == {"user_id": "u-1"}


def test_it_turns_images_into_base64_or_url_sources():
    body = build(messages=[{"role": "user", "content": [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}},
    ]}]).body
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
    ]


TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}}}}]


@pytest.mark.parametrize(("choice", "expected"), [
    ("auto", {"type": "auto"}),
    ("none", {"type": "none"}),
    ("required", {"type": "any"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])
def test_it_maps_tools_and_tool_choice(choice, expected):
    body = build(tools=TOOLS, tool_choice=choice).body
    assert body["tools"] == [{"name": "get_weather", "input_schema": TOOLS[0]["function"]["parameters"]}]
    assert body["tool_choice"] == expected


def test_parallel_tool_calls_false_disables_parallel_tool_use():
    assert build(tools=TOOLS, parallel_tool_calls=False).body["tool_choice"] == {
        "type": "auto", "disable_parallel_tool_use": True}


def test_it_sends_tool_history_as_tool_use_and_grouped_tool_result_blocks():
    body = build(tools=TOOLS, messages=[
        {"role": "user", "content": "Paris and Rome?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}},
            {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Rome"}'}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "21C"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": "25C"},
    ]).body
    assert body["messages"][1] == {"role": "assistant", "content": [
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}}]}
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "21C"},
        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "25C"}]}


def test_bad_tool_arguments_are_named():
    with pytest.raises(InvalidRequestError, match=r"messages\[0\].tool_calls\[0\].function.arguments"):
        build(messages=[{"role": "assistant", "content": None, "tool_calls": [
            {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{not json"}}]}])


@pytest.mark.parametrize(("kw", "budget"), [
    ({"reasoning_effort": "low"}, 1024),
    ({"reasoning_effort": "medium"}, 4096),
    ({"thinking": {"type": "enabled", "budget_tokens": 2048}}, 2048),
    ({"thinking_budget": 3000}, 3000),
])
def test_it_enables_thinking_with_the_asked_budget(kw, budget):
    body = build(**kw).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] > budget


def test_it_raises_max_tokens_above_the_budget_only_when_the_caller_did_not_set_it():
    assert build(reasoning_effort="high").body["max_tokens"] == 16384 + 4096
    with pytest.raises(InvalidRequestError, match="max_tokens"):
        build(reasoning_effort="high", max_tokens=1000)


def test_it_refuses_a_thinking_budget_below_1024():
    with pytest.raises(InvalidRequestError, match=r"thinking.budget_tokens.*at least 1024"):
        build(thinking={"type": "enabled", "budget_tokens": 1000})
    with pytest.raises(InvalidRequestError, match="thinking_budget"):
        build(thinking_budget=512)


def test_thinking_off_sends_no_thinking_block():
    assert "thinking" not in build(reasoning_effort="none").body


@pytest.mark.parametrize(("kw", "param"), [
    ({"temperature": 0.5}, "temperature"),
    ({"top_p": 0.5}, "top_p"),
    ({"tools": TOOLS, "tool_choice": "required"}, "tool_choice"),
])
def test_it_refuses_parameters_claude_forbids_while_thinking(kw, param):
    with pytest.raises(InvalidRequestError, match=param):
        build(reasoning_effort="low", **kw)


def test_it_refuses_n_above_one():
    with pytest.raises(InvalidRequestError, match="n:"):
        build(n=2)


def test_json_schema_mode_forces_a_json_tool_and_returns_its_input_as_content():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    body = build(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}).body
    assert body["tools"] == [{"name": JSON_TOOL, "description": "Respond with the JSON answer.", "input_schema": schema}]
    assert body["tool_choice"] == {"type": "tool", "name": JSON_TOOL}
    answer = {"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
              "content": [{"type": "tool_use", "id": "toolu_1", "name": JSON_TOOL, "input": {"a": 1}}],
              "usage": {"input_tokens": 5, "output_tokens": 3}}
    choice = ADAPTER.parse_chat(answer, model="m")["choices"][0]
    assert json.loads(choice["message"]["content"]) == {"a": 1}
    assert choice["finish_reason"] == "stop" and "tool_calls" not in choice["message"]


def test_json_mode_cannot_be_combined_with_tools():
    with pytest.raises(InvalidRequestError, match="response_format"):
        build(tools=TOOLS, response_format={"type": "json_object"})


ANSWER = {
    "id": "msg_01", "type": "message", "role": "assistant", "model": TARGET,
    "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {"city": "Paris"}}],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 100,
              "cache_creation_input_tokens": 5},
}


def test_it_translates_a_message_into_a_chat_completion():
    out = ADAPTER.parse_chat(ANSWER, model="claude-fast")
    assert out["model"] == "claude-fast" and out["object"] == "chat.completion"
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    assert choice["message"]["reasoning_content"] == "hmm"
    assert choice["message"]["tool_calls"] == [{"id": "toolu_9", "type": "function", "function": {
        "name": "get_weather", "arguments": '{"city":"Paris"}'}}]
    assert out["usage"] == {"prompt_tokens": 115, "completion_tokens": 20, "total_tokens": 135,
                            "prompt_tokens_details": {"cached_tokens": 100, "cache_write_tokens": 5}}


def test_an_answer_and_a_stream_carry_the_gateway_s_chatcmpl_id_not_claude_s_message_id():
    answer = ADAPTER.parse_chat({**ANSWER, "id": "msg_vrtx_0123"}, model="m")
    assert answer["id"].startswith("chatcmpl-")
    translator = ADAPTER.stream_translator(model="m", include_usage=True)
    chunks = [c for event, data in EVENTS for c in translator.feed(event, data)] + translator.finish()
    assert {c["id"][:9] for c in chunks} == {"chatcmpl-"}


@pytest.mark.parametrize(("reason", "expected"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("refusal", "content_filter"),
])
def test_it_maps_stop_reasons(reason, expected):
    body = {**ANSWER, "content": [{"type": "text", "text": "x"}], "stop_reason": reason}
    assert ADAPTER.parse_chat(body, model="m")["choices"][0]["finish_reason"] == expected


# A recorded Claude stream with thinking, text and a tool call.
EVENTS = [
    ("message_start", {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                                                             "content": [], "usage": {"input_tokens": 25, "output_tokens": 1}}}),
    ("ping", {"type": "ping"}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Hmm."}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "x"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("content_block_start", {"type": "content_block_start", "index": 2, "content_block": {
        "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '{"city":'}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": '"Paris"}'}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 42}}),
    ("message_stop", {"type": "message_stop"}),
]


def test_it_translates_a_recorded_stream_event_by_event():
    translator = ADAPTER.stream_translator(model="claude-fast", include_usage=True)
    deltas = []
    for event, data in EVENTS:
        for chunk in translator.feed(event, data):
            assert chunk["object"] == "chat.completion.chunk" and chunk["model"] == "claude-fast"
            deltas.append((chunk["choices"][0]["delta"], chunk["choices"][0]["finish_reason"]))
    assert deltas == [
        ({"role": "assistant", "content": ""}, None),
        ({"reasoning_content": "Hmm."}, None),
        ({"content": "Checking"}, None),
        ({"tool_calls": [{"index": 0, "id": "toolu_1", "type": "function",
                          "function": {"name": "get_weather", "arguments": ""}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}, None),
        ({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}, None),
        ({}, "tool_calls"),
    ]
    (usage_chunk,) = translator.finish()
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == {"prompt_tokens": 25, "completion_tokens": 42, "total_tokens": 67,
                                    "prompt_tokens_details": {"cached_tokens": 0}}


def test_each_event_yields_its_chunks_immediately():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    translator.feed("message_start", EVENTS[0][1])
    translator.feed("content_block_start", EVENTS[6][1])
    assert translator.feed("content_block_delta", EVENTS[7][1])[0]["choices"][0]["delta"] == {"content": "Checking"}


def test_a_json_mode_stream_streams_the_json_as_content():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    translator.feed(None, EVENTS[0][1])
    assert translator.feed(None, {"type": "content_block_start", "index": 0, "content_block": {
        "type": "tool_use", "id": "t", "name": JSON_TOOL, "input": {}}}) == []
    chunk = translator.feed(None, {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "input_json_delta", "partial_json": '{"a":1}'}})
    assert chunk[0]["choices"][0]["delta"] == {"content": '{"a":1}'}
    end = translator.feed(None, {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 3}})
    assert end[0]["choices"][0]["finish_reason"] == "stop"


def test_an_error_event_raises_a_clean_error():
    translator = ADAPTER.stream_translator(model="m", include_usage=False)
    translator.feed("message_start", EVENTS[0][1])
    with pytest.raises(StreamInterruptedError, match=r"overloaded_error.*Overloaded"):
        translator.feed("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


def test_count_tokens_puts_the_model_in_the_body():
    wire = ADAPTER.build_count_tokens(chat(max_tokens=5, temperature=0.1), target=TARGET)
    assert wire.resource == "publishers/anthropic/models/count-tokens:rawPredict"
    assert wire.body == {"messages": [{"role": "user", "content": "Hey Claude!"}], "model": TARGET,
                         "anthropic_version": "vertex-2023-10-16"}
    assert ADAPTER.parse_count_tokens({"input_tokens": 14}, model="a")["input_tokens"] == 14


def test_json_mode_drops_a_text_preamble_before_the_json_tool():
    answer = {"id": "m", "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}, "content": [
        {"type": "text", "text": "I'll answer in JSON."},
        {"type": "tool_use", "id": "t", "name": JSON_TOOL, "input": {"answer": "é"}}]}
    assert ADAPTER.parse_chat(answer, model="m")["choices"][0]["message"]["content"] == '{"answer":"é"}'


def test_a_json_mode_stream_given_the_request_streams_only_the_json():
    translator = ADAPTER.stream_translator(model="m", include_usage=False,
                                           request=chat(response_format={"type": "json_object"}))
    translator.feed(None, EVENTS[0][1])
    translator.feed(None, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    assert translator.feed(None, {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "text_delta", "text": "Sure:"}}) == []


@pytest.mark.parametrize(("kw", "param"), [
    ({"logprobs": True}, "logprobs"), ({"seed": 1}, "seed"), ({"frequency_penalty": 0.5}, "frequency_penalty"),
    ({"logit_bias": {"1": 2}}, "logit_bias"),
])
def test_it_refuses_parameters_claude_cannot_honour(kw, param):
    with pytest.raises(InvalidRequestError, match=f"{param}: is not supported by Claude"):
        build(**kw)


def test_default_valued_openai_parameters_are_accepted():
    assert "frequency_penalty" not in build(frequency_penalty=0, presence_penalty=0, logprobs=False).body

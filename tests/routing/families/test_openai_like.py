"""Mistral (rawPredict) and partner MaaS (openapi chat/completions): OpenAI-shaped bodies and answers."""

from __future__ import annotations

import pytest

from routing.errors import InvalidRequestError, StreamInterruptedError
from routing.families import REGISTRY, adapter_for
from routing.families.mistral import MistralAdapter
from routing.families.openai_compat import OpenAICompatAdapter

MISTRAL = MistralAdapter()
MAAS = OpenAICompatAdapter()


def chat(**kw):
    return {"model": "alias", "messages": [{"role": "developer", "content": "Be brief."},
                                           {"role": "user", "content": "Hi"}], **kw}


def test_mistral_puts_the_model_in_path_and_body():
    wire = MISTRAL.build_chat(chat(max_completion_tokens=20, stop="X", seed=3, temperature=0.1),
                              target="mistral-large@2407", model="alias")
    assert wire.resource == "publishers/mistralai/models/mistral-large@2407:rawPredict"
    assert wire.body == {"model": "mistral-large", "messages": [{"role": "system", "content": "Be brief."},
                                                                {"role": "user", "content": "Hi"}],
                         "temperature": 0.1, "max_tokens": 20, "stop": ["X"], "random_seed": 3}


def test_mistral_streams_through_stream_raw_predict_without_openai_only_fields():
    wire = MISTRAL.build_chat(chat(stream=True, stream_options={"include_usage": True}),
                              target="mistral-small-2503", model="alias")
    assert wire.resource.endswith(":streamRawPredict") and wire.stream
    assert wire.body["stream"] is True and "stream_options" not in wire.body


def test_mistral_refuses_a_thinking_budget():
    with pytest.raises(InvalidRequestError, match="reasoning_effort"):
        MISTRAL.build_chat(chat(reasoning_effort="high"), target="mistral-small-2503", model="a")


def test_partner_models_get_the_openai_body_with_the_target_as_model():
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    wire = MAAS.build_chat(chat(tools=tools, tool_choice="required", stream=True,
                                stream_options={"include_usage": True}, max_tokens=9),
                           target="meta/llama-3.3-70b-instruct-maas", model="alias")
    assert wire.resource == "endpoints/openapi/chat/completions" and wire.stream
    assert wire.body["model"] == "meta/llama-3.3-70b-instruct-maas"
    assert wire.body["tools"] == tools and wire.body["tool_choice"] == "required"
    assert wire.body["stream_options"] == {"include_usage": True} and wire.body["max_tokens"] == 9


def test_partner_models_refuse_the_thinking_budget_extension():
    with pytest.raises(InvalidRequestError, match="thinking"):
        MAAS.build_chat(chat(thinking={"type": "enabled", "budget_tokens": 2000}), target="qwen/qwen3-coder", model="a")


def test_answers_are_relabelled_with_the_alias_and_finish_reasons_normalised():
    body = {"id": "x1", "object": "chat.completion", "created": 5, "model": "mistral-large",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi", "tool_calls": []},
                         "finish_reason": "model_length"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}
    out = MISTRAL.parse_chat(body, model="alias")
    assert out["model"] == "alias" and out["id"].startswith("chatcmpl-")
    assert out["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "Hi"},
                               "finish_reason": "length", "logprobs": None}]
    assert out["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}


def test_streamed_chunks_are_forwarded_and_usage_held_for_the_final_chunk():
    translator = MAAS.stream_translator(model="alias", include_usage=True)
    first = translator.feed(None, {"id": "u", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "He"}}]})
    assert first[0]["choices"][0]["delta"] == {"role": "assistant", "content": "He"}
    assert first[0]["model"] == "alias"
    last = translator.feed(None, {"choices": [{"index": 0, "delta": {"content": "y"}, "finish_reason": "stop"}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}})
    assert last[0]["choices"][0]["finish_reason"] == "stop" and last[0]["usage"] is None
    assert translator.feed(None, "[DONE]") == []
    (usage_chunk,) = translator.finish()
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] == 3


def test_an_error_chunk_raises_a_clean_error():
    translator = MISTRAL.stream_translator(model="a", include_usage=False)
    with pytest.raises(StreamInterruptedError, match="Mistral"):
        translator.feed(None, {"error": {"message": "boom", "type": "server_error"}})


def test_token_counting_is_refused_for_families_without_it():
    with pytest.raises(InvalidRequestError, match="model"):
        MISTRAL.build_count_tokens(chat(), target="mistral-small-2503")
    assert not MAAS.supports("count_tokens") and MAAS.supports("chat")


@pytest.mark.parametrize(("target", "family"), [
    ("gemini-2.0-flash", "gemini"), ("claude-3-5-haiku@20241022", "anthropic"), ("codestral-2501", "mistral"),
    ("deepseek-ai/deepseek-r1-0528-maas", "openai_compat"), ("1234567890", "tuned"),
    ("text-embedding-005", "embedding"), ("imagen-3.0-generate-002", "imagen"), ("veo-3.0-generate-001", "veo"),
])
def test_the_family_comes_from_the_target(target, family):
    assert adapter_for(target) is REGISTRY[family]
    assert adapter_for(target).family == family


def test_mistral_gets_only_the_message_fields_it_knows():
    wire = MISTRAL.build_chat({"messages": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello", "refusal": None, "annotations": [], "audio": None},
        {"role": "user", "content": "Again"}]}, target="mistral-small-2503", model="a")
    assert wire.body["messages"][1] == {"role": "assistant", "content": "Hello"}

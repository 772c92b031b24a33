"""The official openai SDK, pointed at a live server with an API token, against the emulator."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client(live_v1, demo_key, developer_user, api_token_factory):
    return live_v1.openai(api_token_factory(developer_user))


def test_it_answers_a_gemini_chat_completion(client, vertex):
    completion = client.chat.completions.create(
        model="gemini-2.0-flash", messages=[{"role": "user", "content": "Say hello"}]
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gemini-2.0-flash"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content
    assert completion.usage.prompt_tokens > 0

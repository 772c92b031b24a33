"""Deterministic, plausible text for the emulator's answers, and the token arithmetic.

Every answer is seeded by the prompt, so the same prompt always gets the same text (tests can
compare), while a person watching the demo sees real-looking sentences. Token counts follow the
text: about 1.3 tokens per word, as real tokenizers give for English prose.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
from typing import Any

import orjson

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_STOP = frozenset(
    "this that with from have what when where which about would could should there their them they "
    "your into than then just like some more most very also only each other please tell write give "
    "explain describe answer reply hello short long words word sentence sentences".split()
)

_OPENINGS = (
    "Here is a short answer about {topic}.",
    "Good question about {topic}.",
    "Let me walk through {topic} briefly.",
    "Happy to help with {topic}.",
    "In short, {topic} comes down to a few ideas.",
)
_SENTENCES = (
    "The key point is that {topic} depends on clear inputs and predictable behaviour.",
    "Most teams start small with {topic}, measure what happens, and then adjust.",
    "A useful way to think about {topic} is as a series of small, testable steps.",
    "When people ask about {topic}, they usually want a practical example first.",
    "It helps to write down the assumptions behind {topic} before changing anything.",
    "The trade-off with {topic} is usually between speed, cost and accuracy.",
    "In practice, {topic} works best when the defaults are sensible and documented.",
    "One common mistake with {topic} is to optimise before measuring.",
    "For most readers, the simplest explanation of {topic} is also the most accurate.",
    "Keeping {topic} observable makes problems much easier to diagnose later.",
    "A good next step is to try {topic} on a small example and compare the results.",
    "Experts tend to agree that {topic} rewards patience and careful review.",
)
_CLOSINGS = (
    "Let me know if you would like more detail.",
    "I hope this helps.",
    "Feel free to ask a follow-up question.",
    "That should be enough to get started.",
)
_THOUGHTS = (
    "The user is asking about {topic}. I should give a clear, concise answer.",
    "Let me consider what matters most about {topic} and order the points sensibly.",
    "I will start with the main idea, then add one practical tip.",
)


def count_tokens(text: str) -> int:
    """Tokens for `text`: ~1.3 per word, at least 1 for any non-empty text."""
    if not text:
        return 0
    return max(1, math.ceil(len(text.split()) * 1.3))


def seed_of(*parts: Any) -> int:
    """A stable 64-bit seed from the prompt's parts (stable across processes, unlike hash())."""
    raw = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str)
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")


_LEAD = re.compile(
    r"^(?:please\s+|can you\s+|could you\s+)*(?:tell me about|tell me|explain|describe|summari[sz]e|write about|"
    r"write|what is|what are|what's|why do|why does|why is|why are|how do|how does|give me|list|name)\s+",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def topic_of(prompt: str) -> str:
    """What the prompt is about, in a few words ("Describe the northern lights" -> "the northern lights")."""
    first = re.split(r"[.?!\n]", prompt.strip(), maxsplit=1)[0].strip()
    stripped = _LEAD.sub("", first).strip(" ,:;\"'").lower()
    if stripped and len(stripped.split()) <= 6:
        return stripped
    words = [w.lower() for w in _WORD.findall(prompt) if w.lower() not in _STOP]
    if not words:
        return "your question"
    return " ".join(words[:3])


@functools.lru_cache(maxsize=4096)
def answer_text(prompt: str, *, max_tokens: int | None = None, seed: int | None = None) -> tuple[str, bool]:
    """A plausible answer to `prompt`; returns (text, truncated_by_max_tokens)."""
    rng = random.Random(seed_of(prompt) if seed is None else seed)
    topic = topic_of(prompt)
    sentences = [rng.choice(_OPENINGS).format(topic=topic)]
    body = list(_SENTENCES)
    rng.shuffle(body)
    sentences += [s.format(topic=topic) for s in body[: rng.randint(2, 4)]]
    sentences.append(rng.choice(_CLOSINGS))
    text = " ".join(sentences)
    if max_tokens is not None and count_tokens(text) > max_tokens:
        words = text.split()
        keep = max(1, int(max_tokens / 1.3))
        while keep > 1 and count_tokens(" ".join(words[:keep])) > max_tokens:
            keep -= 1
        return " ".join(words[:keep]), True
    return text, False


@functools.lru_cache(maxsize=1024)
def thought_text(prompt: str) -> str:
    rng = random.Random(seed_of("thought", prompt))
    topic = topic_of(prompt)
    picks = list(_THOUGHTS)
    rng.shuffle(picks)
    return " ".join(p.format(topic=topic) for p in picks[:2])


def chunks(text: str, n: int = 4) -> list[str]:
    """Split `text` into about `n` pieces on word boundaries (concatenation gives back `text`)."""
    words = text.split(" ")
    if len(words) <= 1 or n <= 1:
        return [text]
    size = max(1, math.ceil(len(words) / n))
    out = []
    for i in range(0, len(words), size):
        piece = " ".join(words[i : i + size])
        out.append(piece if i == 0 else " " + piece)
    return out


def sample_for_schema(schema: Any, *, seed: int, depth: int = 0) -> Any:
    """A deterministic value that fits a (JSON / OpenAPI subset) schema, for structured output."""
    rng = random.Random(seed + depth)
    if not isinstance(schema, dict) or depth > 6:
        return "example"
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    kind = str(kind or ("object" if "properties" in schema else "string")).lower()
    if kind == "object":
        props = schema.get("properties") or {}
        return {
            name: sample_for_schema(sub, seed=seed + i + 1, depth=depth + 1)
            for i, (name, sub) in enumerate(props.items())
        }
    if kind == "array":
        return [sample_for_schema(schema.get("items") or {}, seed=seed + i, depth=depth + 1) for i in range(2)]
    if kind == "integer":
        return rng.randint(1, 100)
    if kind == "number":
        return round(rng.uniform(1, 100), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    return rng.choice(("alpha", "bravo", "charlie", "delta", "echo", "Paris", "blue", "example"))


def tool_arguments(schema: Any, prompt: str) -> dict[str, Any]:
    """Arguments for a function call: string fields named like a place get a city from the prompt."""
    props = (schema or {}).get("properties") or {} if isinstance(schema, dict) else {}
    city = _city_in(prompt)
    args: dict[str, Any] = {}
    for i, (name, sub) in enumerate(props.items()):
        kind = str((sub or {}).get("type", "string")).lower() if isinstance(sub, dict) else "string"
        if kind == "string" and isinstance(sub, dict) and not sub.get("enum"):
            if any(k in name.lower() for k in ("location", "city", "place", "where")):
                args[name] = city
            else:
                args[name] = topic_of(prompt)
        else:
            args[name] = sample_for_schema(sub, seed=seed_of(prompt, name, i))
    return args


def _city_in(prompt: str) -> str:
    match = re.search(r"\b(?:in|at|for)\s+([A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)?)", prompt)
    return match.group(1) if match else "Paris"


CALL_MARKER = "[[call:"


def tool_marker(text: str) -> tuple[str, dict[str, Any] | None] | None:
    """The explicit tool-call trigger in a prompt: `[[call:NAME]]` or `[[call:NAME {json args}]]`.

    The emulator calls a tool only when the last user turn carries this marker (or the request
    forces a tool: tool_choice any/tool, Gemini mode ANY, OpenAI required/function), never because a
    tool's name appears in the prompt (Claude Code's system prompt names all its tools).
    Returns (name, args or None) of the first well-formed marker, or None.
    """
    start = text.find(CALL_MARKER)
    while start != -1:
        rest = text[start + len(CALL_MARKER):]
        match = re.match(r"([A-Za-z0-9_.\-]+)\s*", rest)
        if match:
            name, tail = match.group(1), rest[match.end():]
            if tail.startswith("]]"):
                return name, None
            if tail.startswith("{"):
                try:
                    args, end = json.JSONDecoder().raw_decode(tail)
                except ValueError:
                    args, end = None, 0
                if isinstance(args, dict) and tail[end:].lstrip().startswith("]]"):
                    return name, args
        start = text.find(CALL_MARKER, start + 1)
    return None

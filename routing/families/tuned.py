"""Fine-tuned Gemini endpoints: an all-digit target is an endpoint id, called with the Gemini body at
`endpoints/{id}:generateContent` / `:streamGenerateContent?alt=sse` / `:countTokens`."""

from __future__ import annotations

from routing.families.gemini import GeminiAdapter


class TunedAdapter(GeminiAdapter):
    family = "tuned"
    capabilities = frozenset({"chat", "count_tokens"})

    def resource(self, target: str, method: str) -> str:
        return f"endpoints/{target}:{method}"

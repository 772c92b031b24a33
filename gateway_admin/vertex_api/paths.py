"""The Vertex paths the pass-through answers; anything else is a Google-shaped 404.

    {v1|v1beta1}/projects/{p}/locations/{r}/publishers/{publisher}/models/{m}:{action}
    {v1|v1beta1}/projects/{p}/locations/{r}/publishers/anthropic/models/count-tokens:rawPredict
    {v1|v1beta1}/projects/{p}/locations/{r}/endpoints/{id}:{action}           (tuned models)

action: rawPredict, streamRawPredict, generateContent, streamGenerateContent, countTokens, predict.
The project is the client's and never chooses anything; the location is only a preference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACTIONS = ("rawPredict", "streamRawPredict", "generateContent", "streamGenerateContent", "countTokens", "predict")
COUNT_TOKENS = "count-tokens"

_PATH = re.compile(
    r"(?P<version>v1|v1beta1)/projects/(?P<project>[A-Za-z0-9._:-]+)/locations/(?P<location>[a-z0-9-]+)/"
    r"(?:publishers/(?P<publisher>[a-z0-9-]+)/models/(?P<model>[A-Za-z0-9._@-]+)|endpoints/(?P<endpoint>[0-9]+))"
    r":(?P<action>" + "|".join(ACTIONS) + r")"
)


@dataclass(frozen=True, slots=True)
class VertexPath:
    version: str  # v1 | v1beta1: the upstream URL keeps the caller's
    location: str
    model: str  # the model id or alias in the path, or the endpoint id ("" for count-tokens)
    action: str  # one of ACTIONS, or "count-tokens"


def parse_path(rest: str) -> VertexPath | None:
    """The pass-through call a path (after /vertex/) names, or None when it names none."""
    match = _PATH.fullmatch(rest)
    if match is None:
        return None
    model, action = match["model"] or match["endpoint"], match["action"]
    if match["publisher"] == "anthropic" and model == COUNT_TOKENS:
        if action != "rawPredict":
            return None
        return VertexPath(version=match["version"], location=match["location"], model="", action=COUNT_TOKENS)
    return VertexPath(version=match["version"], location=match["location"], model=model, action=action)

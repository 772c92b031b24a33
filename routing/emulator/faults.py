"""Faults the emulator injects on demand: a fault is a set of effects plus a scope and a count.

Effects (any combination):
  status         HTTP status to answer instead of the real answer (429, 500, 503, ...)
  retry_after    seconds, sent as a `Retry-After` header (with status 429/503)
  delay_ms       wait before the first byte of the response
  event_delay_ms wait before each streamed event (a slow stream)
  cut_after      close the connection after this many streamed events (a stream cut mid-way);
                 on a non-streaming answer, close after half of the body
  malformed      answer 200 with a body (or first stream event) that is not valid JSON

Scope (all optional; every given field must match):
  model          model id from the path or body, exact or prefix before "@" ("claude-3-5-haiku")
  region         location segment of the path ("us-east5", "global")
  project        project segment of the path
  path_contains  substring of the request path (the only way to fault `/token`)

Count: `times` (None = until cleared) is decremented on every request the fault hits.

A single request can carry its own fault in the `x-emulator-fault` header, written as the same
fields separated by `;` or `,`: `x-emulator-fault: status=429; retry_after=2`. Shorthands:
`429`, `503`, `malformed`, `cut=2`, `slow=100`, `delay=300`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

FAULT_HEADER = "x-emulator-fault"

_ids = itertools.count(1)

_INT_FIELDS = ("status", "retry_after", "delay_ms", "event_delay_ms", "cut_after", "times")
_STR_FIELDS = ("model", "region", "project", "path_contains")
_ALIASES = {"slow": "event_delay_ms", "delay": "delay_ms", "cut": "cut_after", "retry-after": "retry_after"}


class FaultError(ValueError):
    """A fault description that cannot be understood; the message names the field."""


@dataclass
class Fault:
    status: int | None = None
    retry_after: int | None = None
    delay_ms: int | None = None
    event_delay_ms: int | None = None
    cut_after: int | None = None
    malformed: bool = False
    model: str | None = None
    region: str | None = None
    project: str | None = None
    path_contains: str | None = None
    times: int | None = None
    id: int = field(default_factory=lambda: next(_ids))

    def matches(self, *, path: str, model: str | None, region: str | None, project: str | None) -> bool:
        if self.path_contains is not None:
            if self.path_contains not in path:
                return False
        elif path == "/token":
            return False
        if self.region is not None and self.region != region:
            return False
        if self.project is not None and self.project != project:
            return False
        if self.model is not None:
            if model is None:
                return False
            if model != self.model and model.split("@", 1)[0] != self.model:
                return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False}


def fault_from_dict(data: Any) -> Fault:
    """Build a Fault from JSON; raises FaultError naming the bad field."""
    if not isinstance(data, dict):
        raise FaultError("fault: expected a JSON object")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        name = _ALIASES.get(key, key)
        if name in _INT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise FaultError(f"{key}: expected an integer")
            try:
                number = int(value)
            except ValueError:
                raise FaultError(f"{key}: expected an integer") from None
            if number < 0:
                raise FaultError(f"{key}: must not be negative")
            kwargs[name] = number
        elif name in _STR_FIELDS:
            if not isinstance(value, str) or not value:
                raise FaultError(f"{key}: expected a non-empty string")
            kwargs[name] = value
        elif name == "malformed":
            kwargs[name] = value in (True, "true", "1", "yes", "")
        else:
            raise FaultError(f"{key}: unknown fault field")
    status = kwargs.get("status")
    if status is not None and not 400 <= status <= 599:
        raise FaultError("status: must be an HTTP error status (400-599)")
    if kwargs.get("times") == 0:
        raise FaultError("times: must be at least 1 (leave it out for a fault that stays)")
    fault = Fault(**kwargs)
    if not any((fault.status, fault.delay_ms, fault.event_delay_ms, fault.cut_after is not None, fault.malformed)):
        raise FaultError("fault: give at least one effect (status, delay_ms, event_delay_ms, cut_after, malformed)")
    return fault


def fault_from_header(value: str) -> Fault:
    """Parse the per-request `x-emulator-fault` header."""
    data: dict[str, Any] = {}
    for item in value.replace(",", ";").split(";"):
        item = item.strip()
        if not item:
            continue
        if "=" in item:
            key, _, val = item.partition("=")
            data[key.strip()] = val.strip()
        elif item.isdigit():
            data["status"] = item
        else:
            data[item] = True if item == "malformed" else ""
    return fault_from_dict(data)


@dataclass
class Effects:
    """What to do to one response: the merge of every fault that hit it."""

    status: int | None = None
    retry_after: int | None = None
    delay_ms: int = 0
    event_delay_ms: int = 0
    cut_after: int | None = None
    malformed: bool = False

    def add(self, fault: Fault) -> None:
        if fault.status is not None and self.status is None:
            self.status = fault.status
            self.retry_after = fault.retry_after
        self.delay_ms = max(self.delay_ms, fault.delay_ms or 0)
        self.event_delay_ms = max(self.event_delay_ms, fault.event_delay_ms or 0)
        if fault.cut_after is not None:
            self.cut_after = fault.cut_after if self.cut_after is None else min(self.cut_after, fault.cut_after)
        self.malformed = self.malformed or fault.malformed


class FaultTable:
    """The registered faults; `hit` finds and consumes the ones matching one request."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults = []

    def hit(
        self, *, path: str, model: str | None, region: str | None, project: str | None, header: str | None
    ) -> Effects | None:
        if not self.faults and header is None:
            return None
        effects: Effects | None = None
        if header is not None:
            effects = Effects()
            effects.add(fault_from_header(header))
        for fault in list(self.faults):
            if not fault.matches(path=path, model=model, region=region, project=project):
                continue
            effects = effects or Effects()
            effects.add(fault)
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.remove(fault.id)
        return effects

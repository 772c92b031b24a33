"""The control API under `/_emulator/` (documented in routing/emulator/__init__.py)."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from .faults import FaultError, FaultTable, fault_from_dict
from .listing import ModelStore
from .oauth import TokenIssuer
from .server import Reply, Request, json_reply


class Emulator(Protocol):
    """The emulator state the control API reads and changes (routing/emulator/app.py)."""

    issuer: TokenIssuer
    faults: FaultTable
    records: deque[dict[str, Any]]
    projects: set[str]
    availability: dict[tuple[str, str], bool]
    betas: dict[tuple[str, str], bool]
    listing: ModelStore

    def register_account(self, info: dict[str, Any]) -> dict[str, str]: ...

    def reset(self) -> None: ...


def _bad(message: str) -> Reply:
    return json_reply({"error": message}, 400)


def handle_control(emu: Emulator, request: Request) -> Reply:
    parts = request.path.removeprefix("/_emulator/").strip("/").split("/")
    method = request.method
    body: Any = request.json()
    head = parts[0]
    if head == "health":
        return json_reply({"ok": True})
    if head == "reset" and method == "POST":
        emu.reset()
        return json_reply({"ok": True})
    if head == "requests":
        if method == "DELETE":
            emu.records.clear()
            return json_reply({"ok": True})
        needle = request.query().get("path_contains")
        records = [r for r in emu.records if needle is None or needle in r["path"]]
        return json_reply({"requests": records})
    if head == "faults":
        return _faults(emu, method, parts, body)
    if head == "service-accounts" and method == "POST":
        if not isinstance(body, dict):
            return _bad("body: expected a service-account JSON object")
        try:
            return json_reply(emu.register_account(body), 201)
        except ValueError as exc:
            return _bad(str(exc))
    if head == "tokens":
        if len(parts) > 1 and parts[1] == "expire" and method == "POST":
            token = body.get("token") if isinstance(body, dict) else None
            return json_reply({"expired": emu.issuer.expire(token)})
        return json_reply({"minted": emu.issuer.minted, "active": len(emu.issuer.tokens)})
    if head == "projects":
        if method == "POST":
            project = body.get("project_id") if isinstance(body, dict) else None
            if not isinstance(project, str) or not project:
                return _bad("project_id: required")
            emu.projects.add(project)
            return json_reply({"projects": sorted(emu.projects)}, 201)
        return json_reply({"projects": sorted(emu.projects)})
    if head == "models" and len(parts) == 3:
        project, region = parts[1], parts[2]
        if method == "PUT":
            models = body.get("models") if isinstance(body, dict) else None
            if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
                return _bad("models: expected a list of model objects")
            emu.listing.set(project, region, models)
        return json_reply({"models": emu.listing.models.get((project, region), [])})
    if head == "availability" and method == "POST":
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not isinstance(body.get("region"), str):
            return _bad("model, region: required strings")
        emu.availability[(body["model"], body["region"])] = bool(body.get("served", False))
        return json_reply({"ok": True})
    if head == "betas":
        if method == "POST":
            if (not isinstance(body, dict) or not isinstance(body.get("beta"), str)
                    or body.get("route") not in ("messages", "count_tokens")):
                return _bad("beta: required string; route: messages or count_tokens")
            emu.betas[(body["beta"], body["route"])] = bool(body.get("accepted", False))
        return json_reply({"betas": [{"beta": b, "route": r, "accepted": v} for (b, r), v in emu.betas.items()]})
    return json_reply({"error": f"unknown control path {request.path}"}, 404)


def _faults(emu: Emulator, method: str, parts: list[str], body: Any) -> Reply:
    if method == "POST":
        try:
            fault = emu.faults.add(fault_from_dict(body))
        except FaultError as exc:
            return _bad(str(exc))
        return json_reply(fault.to_dict(), 201)
    if method == "DELETE":
        if len(parts) > 1:
            try:
                removed = emu.faults.remove(int(parts[1]))
            except ValueError:
                return _bad("fault id: expected an integer")
            return json_reply({"removed": removed}, 200 if removed else 404)
        emu.faults.clear()
        return json_reply({"ok": True})
    return json_reply({"faults": [f.to_dict() for f in emu.faults.faults]})

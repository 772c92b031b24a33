"""The emulator's state and request dispatch: token endpoint, Vertex paths, control API."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from typing import Any

from . import gemini
from .errors import fault_error, google_error, not_found_model, permission_denied
from .faults import FAULT_HEADER, Effects, FaultError, FaultTable
from .oauth import UNAUTHENTICATED, TokenError, TokenIssuer
from .server import Reply, Request, json_reply

DEMO_PROJECT = "demo-project"
DEMO_PROJECT_NUMBER = "123456789012"
MAX_RECORDS = 5000

_VERTEX = re.compile(r"^/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/(.*)$")
_PUBLISHER = re.compile(r"^publishers/([^/]+)/models/([^/:]+):([A-Za-z]+)$")
_ENDPOINT = re.compile(r"^endpoints/([^/:]+):([A-Za-z]+)$")


class Emulator:
    """All mutable state of one emulator process, and `handle(request) -> Reply`."""

    def __init__(self, *, projects: tuple[str, ...] = ()) -> None:
        self.issuer = TokenIssuer()
        self.faults = FaultTable()
        self.records: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
        self.base_projects = {DEMO_PROJECT, DEMO_PROJECT_NUMBER, *projects}
        self.projects = set(self.base_projects)
        self.availability: dict[tuple[str, str], bool] = {}
        self.prompt_cache: set[str] = set()  # Claude prompt-cache prefixes written (routing/emulator/anthropic.py)
        self.betas: dict[tuple[str, str], bool] = {}  # (beta, route) -> accepted, over the product's table
        self._served_cache: dict[tuple[str, str], bool] = {}
        from . import listing, predict

        self.listing = listing.ModelStore()
        self.operations = predict.OperationStore()

    # state changes used by the control API and the CLI
    def register_account(self, info: dict[str, Any]) -> dict[str, str]:
        from .oauth import public_account

        account = public_account(info)
        self.issuer.register(account)
        self.projects.add(account.project_id)
        self.base_projects.add(account.project_id)
        return {"client_email": account.client_email, "project_id": account.project_id}

    def reset(self) -> None:
        self.faults.clear()
        self.records.clear()
        self.listing.reset()
        self.projects = set(self.base_projects)
        self.availability.clear()
        self.betas.clear()
        self.prompt_cache.clear()
        self.operations.clear()
        self.issuer.minted = 0

    def is_served(self, model: str, region: str) -> bool:
        key = (model, region)
        if key in self.availability:
            return self.availability[key]
        base = (model.split("@", 1)[0], region)
        if base in self.availability:
            return self.availability[base]
        cached = self._served_cache.get(key)
        if cached is None:
            cached = _catalog_serves(model, region)
            self._served_cache[key] = cached
        return cached

    def refused_betas(self, route: str, header: str | None) -> list[str]:
        """The `anthropic-beta` values Vertex would refuse on a Claude route: the product's table
        (routing.betas) with this emulator's overrides; an unknown value is refused, as Vertex does."""
        if not header:
            return []
        from routing.betas import BetaTable, parse_betas

        table = BetaTable(self.betas)
        return [b for b in parse_betas(header) if not table.accepts(route, b)]

    # dispatch
    async def handle(self, request: Request) -> Reply:
        path = request.path
        if path.startswith("/_emulator/"):
            from .control import handle_control

            return handle_control(self, request)
        self._record(request)
        if path == "/token":
            try:
                effects = self.faults.hit(
                    path=path, model=None, region=None, project=None, header=request.headers.get(FAULT_HEADER)
                )
            except FaultError as exc:
                return json_reply({"error": "invalid_request", "error_description": f"{FAULT_HEADER}: {exc}"}, 400)
            if effects is not None and effects.status is not None:
                return self._apply(fault_error(effects.status, effects.retry_after), effects)
            return self._apply(self._token(request), effects)
        match = _VERTEX.match(path)
        if match is None:
            return google_error(404, f"The requested URL {path} was not found on this server.")
        project, region, rest = match.group(2), match.group(3), match.group(4)
        if self.issuer.check(request.headers.get("authorization")) is None:
            return json_reply(UNAUTHENTICATED, 401, [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')])
        body = request.json()
        model = _model_of(rest, body)
        try:
            effects = self.faults.hit(
                path=path, model=model, region=region, project=project, header=request.headers.get(FAULT_HEADER)
            )
        except FaultError as exc:
            return google_error(400, f"{FAULT_HEADER}: {exc}")
        if effects is not None and effects.status is not None:
            return self._apply(fault_error(effects.status, effects.retry_after), effects)
        return self._apply(self._vertex(request, project, region, rest, body), effects)

    @staticmethod
    def _apply(reply: Reply, effects: Effects | None) -> Reply:
        if effects is None:
            return reply
        if effects.malformed and reply.status == 200:
            reply = malformed(reply)
        reply.delay_ms = effects.delay_ms
        reply.event_delay_ms = effects.event_delay_ms
        reply.cut_after = effects.cut_after
        return reply

    def _record(self, request: Request) -> None:
        body: Any = request.json()
        if body is None and request.body:
            body = request.body.decode("utf-8", "replace")
        self.records.append(
            {
                "method": request.method,
                "path": request.path,
                "query": request.query() if request.query_string else {},
                "headers": dict(request.headers),
                "body": body,
            }
        )

    def _token(self, request: Request) -> Reply:
        if request.method != "POST":
            return json_reply({"error": "invalid_request", "error_description": "Token endpoint needs POST."}, 405)
        try:
            return json_reply(self.issuer.grant(request.body, request.headers.get("content-type", "")))
        except TokenError as exc:
            return json_reply(exc.body(), exc.status)

    def _vertex(self, request: Request, project: str, region: str, rest: str, body: Any) -> Reply:
        if project not in self.projects:
            return permission_denied(f"projects/{project}/locations/{region}/{rest.split(':', 1)[0]}")
        if rest == "models" or rest.startswith("models?"):
            if request.method != "GET":
                return google_error(405, "Method not allowed.")
            return self.listing.list(project, region, request.query())
        if request.method != "POST":
            return google_error(404, f"The requested URL {request.path} was not found on this server.")
        if body is None:
            return google_error(400, "Invalid JSON payload received. Unexpected token.")
        if rest == "endpoints/openapi/chat/completions":
            from . import openai_compat

            model = str(body.get("model") or "") if isinstance(body, dict) else ""
            if model and not self.is_served(model, region):
                publisher = model.split("/", 1)[0] if "/" in model else "google"
                return not_found_model(project, region, publisher, model.split("/", 1)[-1])
            return openai_compat.chat(body, model_from_body=True)
        match = _PUBLISHER.match(rest)
        if match is not None:
            publisher, model, method = match.groups()
            if publisher == "anthropic":
                refused = self.refused_betas("count_tokens" if model == "count-tokens" else "messages",
                                             request.headers.get("anthropic-beta"))
                if refused:
                    from .errors import unexpected_betas

                    return unexpected_betas(refused)
            if publisher == "anthropic" and model == "count-tokens" and method == "rawPredict":
                from . import anthropic

                return anthropic.count_tokens(self, model, body, project, region)
            handler = _PUBLISHER_METHODS.get((publisher, method))
            if handler is None:
                return google_error(400, f"Method {method} is not supported for publisher {publisher}.")
            if model != "count-tokens" and not self.is_served(model, region):
                return not_found_model(project, region, publisher, model)
            reply = handler(self, model, body, project, region)
            if method == "streamGenerateContent" and "alt=sse" not in request.query_string:
                reply = _json_array_stream(reply)
            return reply
        match = _ENDPOINT.match(rest)
        if match is not None:
            endpoint, method = match.groups()
            if method == "generateContent":
                return gemini.generate(f"tuned-{endpoint}", body)
            if method == "streamGenerateContent":
                return gemini.stream(f"tuned-{endpoint}", body)
            if method == "countTokens":
                return gemini.count(body)
            from . import predict

            if method == "predict":
                return predict.embeddings(body, "text-embedding-005")
            return google_error(400, f"Method {method} is not supported for endpoint {endpoint}.")
        return google_error(404, f"The requested URL {request.path} was not found on this server.")


def _model_of(rest: str, body: Any) -> str | None:
    if rest.startswith("publishers/"):
        model = rest.split("/", 3)[-1].split(":", 1)[0]
        if model == "count-tokens" and isinstance(body, dict):
            return str(body.get("model") or "") or None
        return model
    if rest.startswith("endpoints/openapi/") and isinstance(body, dict):
        return str(body.get("model") or "") or None
    if rest.startswith("endpoints/"):
        return rest.split("/", 1)[1].split(":", 1)[0]
    return None


def _catalog_serves(model: str, region: str) -> bool:
    """Ask the product's availability catalog; anything it does not know is served."""
    try:
        from routing.catalog import DEFAULT_CATALOG

        served = DEFAULT_CATALOG.is_served(model, region)
    except Exception:  # the catalog is optional for the emulator (and may be unfinished)
        return True
    return served is not False


def _gemini_generate(emu: Emulator, model: str, body: Any, project: str, region: str) -> Reply:
    return gemini.generate(model, body)


def _gemini_stream(emu: Emulator, model: str, body: Any, project: str, region: str) -> Reply:
    return gemini.stream(model, body)


def _gemini_count(emu: Emulator, model: str, body: Any, project: str, region: str) -> Reply:
    return gemini.count(body)


def _lazy(module: str, name: str) -> Callable[..., Reply]:
    def call(emu: Emulator, model: str, body: Any, project: str, region: str) -> Reply:
        import importlib

        fn = getattr(importlib.import_module(f"routing.emulator.{module}"), name)
        return fn(emu, model, body, project, region)

    return call


_PUBLISHER_METHODS: dict[tuple[str, str], Callable[..., Reply]] = {
    ("google", "generateContent"): _gemini_generate,
    ("google", "streamGenerateContent"): _gemini_stream,
    ("google", "countTokens"): _gemini_count,
    ("google", "predict"): _lazy("predict", "predict"),
    ("google", "embedContent"): _lazy("predict", "embed_content"),
    ("google", "batchEmbedContents"): _lazy("predict", "batch_embed_contents"),
    ("google", "predictLongRunning"): _lazy("predict", "predict_long_running"),
    ("google", "fetchPredictOperation"): _lazy("predict", "fetch_operation"),
    ("anthropic", "rawPredict"): _lazy("anthropic", "raw_predict"),
    ("anthropic", "streamRawPredict"): _lazy("anthropic", "stream_raw_predict"),
    ("mistralai", "rawPredict"): _lazy("openai_compat", "raw_predict"),
    ("mistralai", "streamRawPredict"): _lazy("openai_compat", "stream_raw_predict"),
}


def _json_array_stream(reply: Reply) -> Reply:
    """streamGenerateContent without `alt=sse` answers one JSON array of the chunks, as Vertex does."""
    if reply.events is None:
        return reply
    chunks = [event.strip()[len(b"data: "):] for event in reply.events]  # type: ignore[union-attr]
    return Reply(body=b"[" + b",\r\n".join(chunks) + b"]")


def malformed(reply: Reply) -> Reply:
    """Break the JSON of an answer (the first stream event, or the body) for the malformed fault."""
    if reply.events is not None:
        events = list(reply.events)  # type: ignore[arg-type]
        if events:
            events[0] = events[0][: max(8, len(events[0]) // 2)] + b"\n\n"
        reply.events = events
    else:
        reply.body = reply.body[: max(1, len(reply.body) // 2)]
    return reply

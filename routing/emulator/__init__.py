"""A local Vertex AI and Google OAuth2 token endpoint, for the demo and for tests.

No Django, no Google: everything is served on one host, so a client needs only its base URL and
the service account's `token_uri` changed.

Starting it
-----------
`python -m routing.emulator --host 127.0.0.1 --port N [--service-account KEY.json ...] [--project ID ...]`
prints `Vertex emulator listening on http://HOST:PORT` when ready (`--port 0` picks a free port).
Each `--service-account` registers a key file; only its public key is kept. Known projects:
"demo-project", its number "123456789012", every registered account's project_id, and `--project`.
In tests use the `emulator` / `vertex` fixtures (tests/fixtures/emulator.py).

What it answers (paths under `/v1/` and `/v1beta1/projects/{p}/locations/{r}/`)
-----------------------------------------------------------------------------
- `POST /token`: the JWT-bearer grant; RS256 assertion verified against registered public keys,
  `iss`, `aud` (always https://oauth2.googleapis.com/token), `iat`/`exp` (<= 1 h) and `scope` checked;
  answers `{"access_token", "expires_in": 3599, "token_type": "Bearer"}` or Google's
  `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}` and friends.
- Every other call needs `Authorization: Bearer <token from /token>` (else 401 UNAUTHENTICATED).
- Unknown project: 403 PERMISSION_DENIED. A model the availability catalog (routing.catalog)
  says is not served in the region: Vertex's 404 "Publisher Model `...` not found.".
- Gemini `publishers/google/models/{m}:generateContent | :streamGenerateContent?alt=sse | :countTokens`
  and tuned `endpoints/{id}:...`: system instructions, function calls (see "Tool calls" below),
  JSON mode (responseMimeType/responseSchema),
  thinking (`thoughtsTokenCount`, thought parts with includeThoughts), usageMetadata, modelVersion,
  responseId. Field names are read in camelCase or snake_case, as Vertex does.
- Claude `publishers/anthropic/models/{m}:rawPredict | :streamRawPredict` (full event sequence,
  tool_use, thinking + signature), `publishers/anthropic/models/count-tokens:rawPredict`.
  A body with `model`, without `anthropic_version`, or with another platform's version is a 400.
  An `anthropic-beta` value the route does not accept (routing.betas' table, count-tokens and the
  model routes separately, plus `/_emulator/betas` overrides; unknown values refused) gets Vertex's
  400 `{"type": "error", "error": {"type": "invalid_request_error", "message": "Unexpected value(s)
  `x` for the `anthropic-beta` header. ..."}, "request_id": ...}`.
- Mistral `publishers/mistralai/models/{m}:rawPredict | :streamRawPredict`; partner MaaS
  `endpoints/openapi/chat/completions` (OpenAI chat, streams end with `data: [DONE]`).
- Embeddings `:predict` (instances[{content}], outputDimensionality, autoTruncate), and
  `:embedContent` / `:batchEmbedContents` for gemini-embedding-*: vectors from a hash of the text.
- List Models `GET .../models?pageSize&pageToken` (custom models only, `nextPageToken`).
- Imagen `:predict` (PNG), Veo `:predictLongRunning` then `:fetchPredictOperation` (done on poll 2).

Answers are deterministic for a given prompt and read like real text; tokens are ~1.3 per word.

Tool calls
----------
Every family (Claude, Gemini, Mistral and partner chat) calls a declared tool only on an explicit
trigger, never because a tool's name appears in the prompt (Claude Code's system prompt names all of
its tools): the marker `[[call:NAME]]` or `[[call:NAME {"json": "args"}]]` in the text of the LAST
user turn (args used as given, else made up from the tool's schema), or a forced choice (Claude
tool_choice any/tool, Gemini functionCallingConfig mode ANY, OpenAI tool_choice required/function).
A turn that carries tool results answers with text.

Faults
------
A fault is effects + scope + count (details in faults.py):
  effects: status (429/500/503/...), retry_after (seconds, Retry-After header), delay_ms (before the
  first byte), event_delay_ms (between streamed events), cut_after (drop the connection after N
  events; on a plain answer, half-way through the body), malformed (invalid JSON body or first event)
  scope:   model ("claude-3-5-haiku" also matches "claude-3-5-haiku@20241022"), region, project,
           path_contains (the only way to fault `/token`)
  count:   times (faults for the next N matching requests, then disappear)
Per request: header `x-emulator-fault: status=429; retry_after=2` (or `429`, `cut=2`, `slow=100`,
`delay=300`, `malformed`). The product needs no special code path: faults arrive as Vertex would.

Control API (plain HTTP, no auth, never proxied to Google)
---------------------------------------------------------
  GET    /_emulator/health                       {"ok": true}
  POST   /_emulator/reset                        faults, records, custom models, availability and beta
                                                 overrides, extra projects, mint counter to defaults
  GET    /_emulator/requests[?path_contains=s]   {"requests": [{method, path, query, headers, body}]}
  DELETE /_emulator/requests
  GET    /_emulator/faults                       {"faults": [...]}
  POST   /_emulator/faults                       fault JSON -> 201 {..., "id": N}; 400 names a bad field
  DELETE /_emulator/faults[/ID]
  POST   /_emulator/service-accounts             key JSON (or client_email, private_key_id, project_id,
                                                 public_key_pem) -> 201
  GET    /_emulator/tokens                       {"minted": N, "active": M}
  POST   /_emulator/tokens/expire                {"token": T} or {} for all -> {"expired": N}
  GET    /_emulator/projects, POST {"project_id"}
  GET    /_emulator/models/{project}/{region}, PUT {"models": [...]}   custom models for List Models
  POST   /_emulator/availability                 {"model", "region", "served": false} overrides catalog
  GET    /_emulator/betas, POST {"beta", "route": "messages"|"count_tokens", "accepted": bool}
                                                 overrides which anthropic-beta values Claude accepts
"""

from .app import Emulator

__all__ = ["Emulator"]

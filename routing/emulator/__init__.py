"""A local Vertex AI and Google OAuth2 token endpoint, for the demo and for tests.

Start it: `python -m routing.emulator --host 127.0.0.1 --port N [--service-account KEY.json ...]`
(prints "Vertex emulator listening on http://HOST:PORT" when ready; `--port 0` picks a free port).
No Django; it serves everything on one host (point a client's base URL at it and a service
account's `token_uri` at `{base}/token`).
"""

from .app import Emulator

__all__ = ["Emulator"]

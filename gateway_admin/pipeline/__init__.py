"""The call pipeline: the one way a gateway call is made, whatever the surface.

caller + model -> scope, allowedModels (and the limits) -> routing (one cached routing state per
process, `state.py`) -> typed events -> one request-log entry (`call.py`). Errors are one type,
`GatewayError` (`errors.py`), that each surface frames in its own shape.
"""

from .call import CLIENT_CLOSED, Caller, Chunk, Done, Event, Failed, GatewayCall
from .errors import GatewayError, error_of, from_routing_error
from .state import default_model, gateway_state, models_for, reset

__all__ = [
    "CLIENT_CLOSED", "Caller", "Chunk", "Done", "Event", "Failed", "GatewayCall", "GatewayError",
    "default_model", "error_of", "from_routing_error", "gateway_state", "models_for", "reset",
]

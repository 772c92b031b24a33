from .keys import AllowedModel, AvailabilityOverride, Deployment, VertexKey
from .listings import KeyHealth, ModelListing
from .logs import AuditLog, RequestLog
from .tokens import ApiToken
from .videos import VideoJob

__all__ = [
    "AllowedModel",
    "ApiToken",
    "AuditLog",
    "AvailabilityOverride",
    "Deployment",
    "KeyHealth",
    "ModelListing",
    "RequestLog",
    "VertexKey",
    "VideoJob",
]

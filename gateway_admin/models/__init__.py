from .keys import AllowedModel, AvailabilityOverride, Deployment, VertexKey
from .listings import KeyHealth, ModelListing
from .logs import AuditLog, RequestLog
from .tokens import ApiToken
from .usage import Budget, BudgetCounter, PriceOverride, Team, UsageRollup
from .videos import VideoJob

__all__ = [
    "AllowedModel",
    "ApiToken",
    "AuditLog",
    "AvailabilityOverride",
    "Budget",
    "BudgetCounter",
    "Deployment",
    "KeyHealth",
    "ModelListing",
    "PriceOverride",
    "RequestLog",
    "Team",
    "UsageRollup",
    "VertexKey",
    "VideoJob",
]

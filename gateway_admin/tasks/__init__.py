"""Celery tasks: ids in, one service call, retries owned here. One module per concern."""

from .gateway import *  # noqa: F403
from .listings import *  # noqa: F403

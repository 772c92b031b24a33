"""The Celery application, and `enqueue`, the one way the app sends a task.

Without CELERY_BROKER_URL tasks run in process (task_always_eager). Services enqueue tasks by
name through `enqueue`, so they never import the task modules (which import the services).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

app = Celery("gateway_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue(name: str, *args: Any, countdown: float = 0, queue: str | None = None) -> None:
    """Send the task `name` with `args` (ids only, never objects or secrets), after `countdown` s.

    Eager mode (no broker) runs it in process: at once through `apply()` (Celery's eager `delay()`
    still acquires a producer, which makes kombu build a connection for the default URL and log
    "No hostname was supplied" although nothing is sent), or from a timer thread when there is a
    countdown (an eager countdown would otherwise run at once, inside the caller).
    """
    if not app.conf.task_always_eager:
        options: dict[str, Any] = {"countdown": countdown} if countdown else {}
        if queue:
            options["queue"] = queue
        app.send_task(name, args=args, **options)
        return
    if name not in app.tasks:
        # In process nothing may have imported the task modules yet: load what autodiscovery names.
        app.loader.import_default_modules()
    task = app.tasks[name]
    if not countdown:
        task.apply(args)
        return

    def run() -> None:
        from django.db import close_old_connections

        try:
            task.apply(args)
        finally:
            close_old_connections()

    timer = threading.Timer(countdown, run)
    timer.daemon = True
    timer.start()

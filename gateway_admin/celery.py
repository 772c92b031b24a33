"""The Celery application. Without CELERY_BROKER_URL tasks run in process (task_always_eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

app = Celery("gateway_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

# /v1 (the OpenAI-compatible gateway) skips the dashboard's middleware: see openai_api/asgi.py.
from gateway_admin.openai_api.asgi import with_v1_fast_path

application = with_v1_fast_path(get_asgi_application())

"""Django's plain ASGI application, without the /v1 fast path: `gateway_bench.py --app bench.plain_asgi:application`
measures what the dashboard middleware and Django's per-request signal thread would cost /v1."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gateway_admin.settings")

application = get_asgi_application()

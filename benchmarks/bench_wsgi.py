"""The WSGI application `bench_api.py --http` serves under gunicorn: the project's, with
the bare view beside its URLs (`bench_urls`) and the API's rate limit raised for the run."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after the application set Django up

settings.ROOT_URLCONF = "bench_urls"  # read by the handler on every request
settings.API_TOKEN_RATE_LIMIT = 10**9

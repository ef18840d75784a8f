"""The WSGI application `bench_api.py --http` serves under gunicorn: the project's, with
the bare view beside its URLs and the API's rate limit raised for the run."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - after the application set Django up

import config.urls  # noqa: E402


def bare(request):
    """The floor: what gunicorn, Django and the project's middleware cost for any request."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *config.urls.urlpatterns]
settings.ROOT_URLCONF = __name__  # read by the handler on every request
settings.API_TOKEN_RATE_LIMIT = 10**9

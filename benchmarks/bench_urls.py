"""The URLconf of the benchmarks that time pages beside a floor (`bench_api`,
`bench_pages`, `bench_portal`, and `bench_wsgi` under gunicorn): the project's URLs plus a
bare view, so that both are served by the same handler and middleware."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path

import config.urls


def bare(request):
    """The floor: what Django and the project's middleware (and, served by gunicorn, the
    server) cost for any request."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/bare", bare), *config.urls.urlpatterns]

"""Refuse at the door what no page of Retour can answer: a NUL byte or an unencodable
character in the path or query string, and a number too large for the database in a
filter. Such a request is a 400 with a plain sentence, never a 500 with a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from core.text import readable

logger = logging.getLogger(__name__)


class RefuseHostileInput:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = unquote(request.META.get("QUERY_STRING", ""), errors="surrogateescape")
        if not (readable(request.path) and readable(query)):
            return self._refuse(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # A filter value beyond what a date or an integer column can hold (`?year=99999999`).
        if isinstance(exception, OverflowError):
            return self._refuse(request)
        return None

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        logger.info("Refused a request Retour cannot read: %r", request.get_full_path()[:200])
        message = _("This address contains characters or numbers Retour cannot read.")
        if request.path.startswith("/api/"):  # the API answers JSON, as its schema says
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class PersonalDataNotCached:
    """Answers of the API and PDF documents hold customers' personal data: no browser,
    proxy or shared cache keeps a copy (`Cache-Control: no-store`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        personal = request.path.startswith("/api/") or response.get("Content-Type", "").startswith(
            "application/pdf"
        )
        if personal:
            response["Cache-Control"] = "no-store, private"
        return response


class RequestRefusalsWithoutTraceback(logging.Filter):
    """Log a refused request (403, 400) as one line: a person or a probe caused it, not a
    bug, so a traceback would only bury the real errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (400, 403, 404, 405):
            record.exc_info = None
            record.exc_text = None
        return True

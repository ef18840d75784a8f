"""The accountants' bookkeeping exports in the back office (F7, F8; `refunds.exports`).

A page behind the admin's login for whoever may read credit notes
(`refunds.view_creditnote`: the accountants): a period (last month by default) and a
button per export and format. A day that is not a day, or a period that ends before it
starts, gives the form back with the reason.

- **CSV**: downloaded at once, streamed as it is read (about 6 s for 100,000 refunds).
- **XLSX**: openpyxl writes some 3,000 rows a second, so a busy month outlasts a gunicorn
  worker's 30 s. The button asks a worker for the file (`refunds.export_files`) and
  comes back to the page, which lists the person's last files: ready with a link, in
  progress, or failed with the reason. The link (`export_file_download`) serves the file
  from private storage to the person who asked for it, and to no one else (404).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from refunds.export_files import (
    export_file_name,
    export_file_request,
    export_files_of,
    kind_of,
)
from refunds.exports import EXPORTS, Export, Period, PeriodError, csv_chunks, last_month
from refunds.models import ExportFile

PERMISSION = "refunds.view_creditnote"
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PREPARING = _(
    "We are preparing “%(export)s” from %(first)s to %(last)s as XLSX; it appears below when ready."
)
ASK_BY_BUTTON = _("An XLSX is prepared on request: press its button.")


class PeriodForm(forms.Form):
    first = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    last = forms.DateField(
        label=_("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Both days are included, as days in Amsterdam."),
    )
    download = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_download(self) -> tuple[Export, str] | None:
        value = self.cleaned_data.get("download") or ""
        if not value:
            return None
        name, _dot, kind = value.rpartition(".")
        if name not in EXPORTS or kind not in FORMATS:
            raise forms.ValidationError(_("Choose one of the downloads below."))
        return EXPORTS[name], kind

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("first") and data.get("last"):
            try:
                data["period"] = Period(data["first"], data["last"])
            except PeriodError as error:
                raise forms.ValidationError(str(error)) from None
        return data


def _in_language(chunks: Iterator[str], language: str) -> Iterator[str]:
    # The response is read after the view has returned: keep the accountant's language.
    with translation.override(language):
        yield from chunks


def _csv_download(export: Export, period: Period) -> HttpResponse:
    response = StreamingHttpResponse(
        _in_language(csv_chunks(export, period), translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{export.name}_{period.slug}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_request(request: HttpRequest, export: Export, period: Period) -> HttpResponse:
    """Ask a worker for the file and come back to the page (a reload asks nothing twice)."""
    export_file_request(
        kind=kind_of(export),
        first_day=period.first,
        last_day=period.last,
        by=request.user,  # type: ignore[arg-type]
        language=translation.get_language(),
    )
    messages.success(
        request,
        PREPARING
        % {
            "export": export.title,
            "first": formats.date_format(period.first),
            "last": formats.date_format(period.last),
        },
    )
    query = urlencode({"first": period.first.isoformat(), "last": period.last.isoformat()})
    return HttpResponseRedirect(f"{request.path}?{query}")


def exports_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    # A CSV is a download (GET or the page's POST); an XLSX creates a file: POST only.
    data = request.POST if request.method == "POST" else request.GET
    if "download" in data:
        form = PeriodForm(data)
        if form.is_valid() and form.cleaned_data["download"]:
            export, kind = form.cleaned_data["download"]
            period = form.cleaned_data["period"]
            if kind == "csv":
                return _csv_download(export, period)
            if request.method == "POST":
                return _xlsx_request(request, export, period)
            form.add_error("download", ASK_BY_BUTTON)
    else:
        # Back from asking for a file: the same period again, else last month.
        shown = PeriodForm({**data.dict(), "download": ""})
        period = shown.cleaned_data["period"] if shown.is_valid() else None
        period = period or last_month(timezone.localdate())
        form = PeriodForm(initial={"first": period.first, "last": period.last})
    context = {
        **admin.site.each_context(request),
        "title": _("Bookkeeping exports"),
        "form": form,
        "exports": [
            (export, [(f"{export.name}.{kind}", kind.upper()) for kind in FORMATS])
            for export in EXPORTS.values()
        ],
        "export_files": export_files_of(request.user),  # type: ignore[arg-type]
    }
    return TemplateResponse(request, "admin/refunds/exports.html", context)


def export_file_download_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An XLSX a worker wrote, to the person who asked for it; to anyone else the 404 of
    a file that does not exist (whether it exists is theirs to know)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    export_file = get_object_or_404(ExportFile, pk=pk, requested_by=request.user.pk)
    if not export_file.file:
        raise Http404
    response = FileResponse(
        export_file.file.open("rb"),
        as_attachment=True,
        filename=export_file_name(export_file),
        content_type=XLSX_TYPE,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Behind the admin's login: staff only, others go to the login page (then 403 above).
exports = admin.site.admin_view(exports_view)
export_file_download = admin.site.admin_view(export_file_download_view)

"""The accountants' bookkeeping exports in the back office (F7, F8; `refunds.exports`).

A page behind the admin's login for whoever may read credit notes
(`refunds.view_creditnote`: the accountants): a period (last month by default) and a
button per export and format. A download is a GET (it changes nothing), streamed: the
CSV as it is read, the XLSX from the temporary file openpyxl writes. A day that is not
a day, or a period that ends before it starts, gives the form back with the reason.

Measured (benchmarks/bench_exports.py, 100,000 refunds, 133,333 credit-note rows): the
CSV streams in about 6 s; openpyxl writes the XLSX at some 3,000 rows a second, so a
period of more than about 80,000 rows outlasts a gunicorn worker's 30 s: the page says
to take the CSV for a period that large.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from refunds.exports import EXPORTS, Export, Period, PeriodError, csv_chunks, last_month, xlsx_write

PERMISSION = "refunds.view_creditnote"
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def _download(export: Export, kind: str, period: Period) -> HttpResponse:
    filename = f"{export.name}_{period.slug}.{kind}"
    if kind == "csv":
        response = StreamingHttpResponse(
            _in_language(csv_chunks(export, period), translation.get_language()),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    xlsx_write(export, period, target)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


def exports_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if "download" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid() and form.cleaned_data["download"]:
            export, kind = form.cleaned_data["download"]
            return _download(export, kind, form.cleaned_data["period"])
    else:
        default = last_month(timezone.localdate())
        form = PeriodForm(initial={"first": default.first, "last": default.last})
    context = {
        **admin.site.each_context(request),
        "title": _("Bookkeeping exports"),
        "form": form,
        "exports": [
            (export, [(f"{export.name}.{kind}", kind.upper()) for kind in FORMATS])
            for export in EXPORTS.values()
        ],
    }
    return TemplateResponse(request, "admin/refunds/exports.html", context)


# Behind the admin's login: staff only, others go to the login page (then 403 above).
exports = admin.site.admin_view(exports_view)

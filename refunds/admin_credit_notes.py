"""Credit notes in the back office (issue 18 §3, §8; SPEC §5 F8): view only.

The list gives each note's number, date, refund, customer and total, and a link to its
PDF, served from private storage by a view that checks `refunds.view_creditnote`, never
by a public URL; until the worker has rendered it the list says so and the view answers
404.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_lists import LargeTableAdmin
from refunds.models import CreditNote
from refunds.search import credit_note_search
from rma.views import inline_pdf

_PDF_POLICY = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'"


@admin.register(CreditNote)
class CreditNoteAdmin(LargeTableAdmin):
    list_display = ["number", "issued_on", "refund_number", "customer", "total", "pdf_link"]
    list_select_related = ["refund__ticket__order__customer"]
    ordering = ["-issued_at", "-pk"]
    sortable_by = ["number", "issued_on"]
    search = staticmethod(credit_note_search)
    search_fields = ["number"]  # shows the search box; `search` does the finding
    search_help_text = _("A credit note, refund, RMA or order number, as written (CN-2026-00001).")
    fields = [
        "number",
        "issued_at",
        "refund_link",
        "customer",
        "total",
        "line_table",
        "vat_table",
        "pdf_link",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("date"), ordering="issued_at")
    def issued_on(self, note: CreditNote) -> str:
        return date_format(localtime(note.issued_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("refund"))
    def refund_number(self, note: CreditNote) -> str:
        return note.refund.number

    @admin.display(description=_("refund"))
    def refund_link(self, note: CreditNote) -> str:
        url = reverse("admin:refunds_refund_change", args=[note.refund_id])
        return format_html('<a href="{}">{}</a>', url, note.refund.number)

    @admin.display(description=_("customer"))
    def customer(self, note: CreditNote) -> str:
        customer = note.refund.ticket.order.customer
        return customer.name or customer.email

    @admin.display(description=_("PDF"))
    def pdf_link(self, note: CreditNote) -> str:
        if not note.pdf:
            return format_html(
                '<span class="retour-rendering">{}</span>',
                gettext("being rendered; reload in a moment"),
            )
        url = reverse("admin:refunds_creditnote_pdf", args=[note.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("PDF of %(number)s") % {"number": note.number}
        )

    @admin.display(description=_("lines"))
    def line_table(self, note: CreditNote) -> str:
        return format_html_join(
            "",
            "<div>{} · {} · EUR {}</div>",
            ((line["rule"], line["description"], line["amount"]) for line in note.lines),
        )

    @admin.display(description=_("VAT per rate"))
    def vat_table(self, note: CreditNote) -> str:
        return format_html_join(
            "",
            "<div>{}</div>",
            (
                (
                    gettext("%(rate)s%%: EUR %(gross)s incl. EUR %(vat)s VAT (net EUR %(net)s)")
                    % row,
                )
                for row in note.vat
            ),
        )

    def has_add_permission(self, request) -> bool:
        return False  # issued when a refund is paid (refunds.credit_notes)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # F8: immutable once issued

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="refunds_creditnote_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk: int):
        """The stored PDF, to staff who may see credit notes; 404 until it is rendered."""
        if not request.user.has_perm("refunds.view_creditnote"):
            raise PermissionDenied
        note = get_object_or_404(CreditNote, pk=pk)
        if not note.pdf:
            raise Http404(gettext("The PDF of this credit note is being rendered."))
        try:
            handle = note.pdf.open("rb")
        except FileNotFoundError:
            raise Http404(gettext("The PDF of this credit note is missing.")) from None
        response = FileResponse(handle, content_type="application/pdf")
        inline_pdf(response, f"{note.number}.pdf")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = _PDF_POLICY
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response

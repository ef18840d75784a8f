"""SEPA batches in the back office (F6; issue 18 §2).

The list says how many approved bank transfers are ready and how many wait for the
customer's IBAN, and offers an accountant the button that makes a batch of the ready ones
(`refunds.sepa.sepa_batch_create`). Each batch's pain.001 file is downloaded through a view
that checks the permission (the file names customers and their accounts: never a public
media URL), and "Book as executed", after a confirmation, pays its transfers once the
bank has executed it (`refunds.sepa.sepa_batch_book`). Nothing is edited by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from refunds.models import Channel, RefundPart, RefundState, SepaBatch
from refunds.refunding import RefundError
from refunds.sepa import sepa_batch_book, sepa_batch_create

MAKE_PERMISSION = "refunds.add_sepabatch"
BOOK_PERMISSION = "refunds.pay_refund"


def next_banking_day(day: date) -> date:
    """`day`, or the Monday after it when it falls in a weekend (banks execute SEPA
    transfers on working days only)."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


class SepaBatchMakeForm(forms.Form):
    execution_date = forms.DateField(
        label=_("Execution date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The day the bank is to pay the transfers."),
    )


def _unbatched():
    """Approved bank-transfer parts no batch holds yet (refunds.sepa claims the same)."""
    return RefundPart.objects.filter(
        channel=Channel.SEPA,
        batch__isnull=True,
        paid_at__isnull=True,
        refund__state=RefundState.APPROVED,
    )


# The list's "executed" column, one function each so the admin finds it again when it
# sorts by it (the same object in `list_display` and `sortable_by`).
@admin.display(description=_("executed"), ordering="executed_at")
def executed_on(batch: SepaBatch) -> str:
    if batch.executed_at:
        return date_format(timezone.localtime(batch.executed_at), "SHORT_DATETIME_FORMAT")
    return gettext("not yet")


@admin.display(description=_("executed"), ordering="executed_at")
def executed_or_book(batch: SepaBatch) -> str:
    if batch.executed_at:
        return executed_on(batch)
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:refunds_sepabatch_book", args=[batch.pk]),
        gettext("Book as executed"),
    )


@admin.register(SepaBatch)
class SepaBatchAdmin(admin.ModelAdmin):
    list_display = [
        "message_id",
        "created_at",
        "execution_date",
        "count",
        "total",
        "executed",
        "download",
    ]
    list_per_page = 50
    change_list_template = "admin/refunds/sepa_batch_change_list.html"
    change_form_template = "admin/refunds/sepa_batch_change_form.html"
    fields = [
        "message_id",
        "created_at",
        "created_by",
        "execution_date",
        "count",
        "total",
        "download",
        "executed_at",
        "executed_by",
    ]
    readonly_fields = fields

    # --- the list and the page ------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        ready = _unbatched().exclude(refund__iban="").count()
        waiting = _unbatched().filter(refund__iban="").count()
        extra_context = {
            **(extra_context or {}),
            "ready": ngettext(
                "%(count)s approved bank transfer is ready for a batch.",
                "%(count)s approved bank transfers are ready for a batch.",
                ready,
            )
            % {"count": ready},
            "waiting": ngettext(
                "%(count)s waits for the customer to give an IBAN in the portal.",
                "%(count)s wait for the customer to give an IBAN in the portal.",
                waiting,
            )
            % {"count": waiting}
            if waiting
            else "",
            "may_make": request.user.has_perm(MAKE_PERMISSION),
            "make_form": SepaBatchMakeForm(
                initial={"execution_date": next_banking_day(timezone.localdate())}
            ),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_book": request.user.has_perm(BOOK_PERMISSION),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_list_display(self, request):
        # Who may book finds the button in the row; who may not sees "not yet" rather
        # than a button that would refuse them.
        swap = executed_or_book if request.user.has_perm(BOOK_PERMISSION) else executed_on
        return [swap if name == "executed" else name for name in self.list_display]

    @admin.display(description=_("executed"), ordering="executed_at")
    def executed(self, batch: SepaBatch) -> str:
        return executed_on(batch)

    @admin.display(description=_("file (pain.001)"))
    def download(self, batch: SepaBatch) -> str:
        return format_html(
            '<a href="{}" download>{}</a>',
            reverse("admin:refunds_sepabatch_download", args=[batch.pk]),
            gettext("Download pain.001"),
        )

    def has_add_permission(self, request) -> bool:
        return False  # made by the list's button, from the approved transfers

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a file sent to the bank is never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # its parts and their payments name it

    # --- the views of its own -------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("make/", view(self.make_view), name="refunds_sepabatch_make"),
            path(
                "<int:pk>/pain001.xml", view(self.download_view), name="refunds_sepabatch_download"
            ),
            path("<int:pk>/book/", view(self.book_view), name="refunds_sepabatch_book"),
            *super().get_urls(),
        ]

    def _changelist(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:refunds_sepabatch_changelist"))

    def make_view(self, request):
        if not request.user.has_perm(MAKE_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return self._changelist()
        form = SepaBatchMakeForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Give the day the bank is to pay the transfers."))
            return self._changelist()
        try:
            batch = sepa_batch_create(
                by=request.user, execution_date=form.cleaned_data["execution_date"]
            )
        except RefundError as error:
            messages.error(request, str(error))
            return self._changelist()
        if batch is None:
            messages.info(
                request,
                gettext(
                    "No approved bank transfer is waiting for a batch. Refunds without an "
                    "IBAN wait for the customer to give one in the portal."
                ),
            )
        else:
            messages.success(
                request,
                ngettext(
                    "Batch %(batch)s is made: %(count)s transfer, EUR %(total)s, to be paid "
                    "on %(day)s. Download its pain.001 file and upload it to the bank.",
                    "Batch %(batch)s is made: %(count)s transfers, EUR %(total)s, to be paid "
                    "on %(day)s. Download its pain.001 file and upload it to the bank.",
                    batch.count,
                )
                % {
                    "batch": batch.message_id,
                    "count": batch.count,
                    "total": localize(batch.total),
                    "day": date_format(batch.execution_date),
                },
            )
        return self._changelist()

    def download_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(SepaBatch, pk=pk)
        if not batch.xml:
            raise Http404
        try:
            file = batch.xml.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            file,
            as_attachment=True,
            filename=f"{batch.message_id}.xml",
            content_type="application/xml",
        )
        # Customers' names and accounts: `admin_view` keeps the file out of every cache
        # on the way (no-store, private); no browser guesses it is a page to render.
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def book_view(self, request, pk: int):
        if not request.user.has_perm(BOOK_PERMISSION):
            raise PermissionDenied
        batch = get_object_or_404(SepaBatch, pk=pk)
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            return self._book(request, batch)
        in_batch = batch.parts.count()
        to_pay = batch.parts.filter(paid_at__isnull=True).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Are you sure?"),
            "batch": batch,
            "to_pay": to_pay,
            "left": batch.count - in_batch,
            "back_url": reverse("admin:refunds_sepabatch_change", args=[batch.pk]),
        }
        return TemplateResponse(request, "admin/refunds/sepa_batch_book.html", context)

    def _book(self, request, batch: SepaBatch) -> HttpResponseRedirect:
        booked_before = batch.executed_at is not None
        try:
            paid = sepa_batch_book(batch=batch, by=request.user)
        except RefundError as error:
            messages.error(request, str(error))
            return self._changelist()
        if paid:
            messages.success(
                request,
                ngettext(
                    "%(count)s transfer is booked as paid; the refunds it completes are paid "
                    "and their credit notes issued.",
                    "%(count)s transfers are booked as paid; the refunds they complete are "
                    "paid and their credit notes issued.",
                    paid,
                )
                % {"count": paid},
            )
        elif booked_before:
            messages.info(
                request,
                gettext("Batch %(batch)s was already booked; nothing is paid twice.")
                % {"batch": batch.message_id},
            )
        else:
            messages.info(
                request,
                gettext(
                    "Batch %(batch)s is booked as executed; none of its transfers was left "
                    "to pay (the bank refused them, and they left the batch)."
                )
                % {"batch": batch.message_id},
            )
        return self._changelist()

"""The store-credit ledger in the back office (F7): every entry, never editable.

Accountants book a grant or a withdrawal with a reason through *Add* (a form that calls
`refunds.services`); corrections are new entries, never edits.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin_lists import LargeTableAdmin
from orders.models import Customer
from refunds import services
from refunds.models import StoreCreditEntry
from refunds.search import store_credit_search

GRANT, WITHDRAW = "grant", "withdraw"


class StoreCreditBookingForm(forms.Form):
    customer = forms.EmailField(label=_("Customer's e-mail address"))
    action = forms.ChoiceField(
        label=_("Book"),
        choices=[(GRANT, _("Grant store credit")), (WITHDRAW, _("Withdraw store credit"))],
    )
    amount = forms.DecimalField(
        label=_("Amount (EUR)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the entry for the bookkeeping (F7)."),
    )

    def clean_customer(self) -> Customer:
        try:
            return Customer.objects.get(email__iexact=self.cleaned_data["customer"].strip())
        except Customer.DoesNotExist:
            raise forms.ValidationError(
                _("There is no customer with this e-mail address.")
            ) from None


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(LargeTableAdmin):
    list_display = [
        "created_at",
        "customer_email",
        "kind",
        "amount",
        "valid_until",
        "closed_on",
        "ticket",
        "order",
    ]
    list_filter = ["kind", "valid_until", "closed_on"]
    sortable_by = ["created_at", "valid_until", "closed_on"]
    search = staticmethod(store_credit_search)
    search_fields = ["customer__email"]  # shows the search box; `search` does the finding
    search_help_text = _(
        "A customer's e-mail address, an RMA or order number; or part of a customer's name."
    )
    list_select_related = ["customer", "ticket", "order"]
    fields = [
        "customer",
        "kind",
        "amount",
        "reason",
        "by",
        "created_at",
        "ticket",
        "order",
        "policy",
        "issued_on",
        "valid_until",
        "closed_on",
        "grant",
    ]
    readonly_fields = fields

    @admin.display(description=_("customer"))
    def customer_email(self, entry: StoreCreditEntry) -> str:
        return entry.customer.email

    def add_view(self, request, form_url="", extra_context=None):
        """Book a grant or a withdrawal through the service, which checks and locks."""
        if not self.has_add_permission(request):
            raise Http404
        form = StoreCreditBookingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            book = (
                services.store_credit_grant
                if data["action"] == GRANT
                else (services.store_credit_withdraw)
            )
            try:
                book(
                    customer=data["customer"],
                    amount=data["amount"],
                    by=request.user,
                    reason=data["reason"],
                )
            except services.StoreCreditError as error:
                form.add_error(None, str(error))
            else:
                balance = services.store_credit_balance(data["customer"])
                messages.success(
                    request,
                    _("Booked. %(customer)s now has EUR %(balance)s of store credit.")
                    % {"customer": data["customer"].email, "balance": balance},
                )
                url = reverse("admin:refunds_storecreditentry_changelist")
                return HttpResponseRedirect(f"{url}?q={data['customer'].email}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Grant or withdraw store credit"),
            "submit_label": _("Book"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/retour/service_form.html", context)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Refunds and credit notes (issue 18): registered by importing their modules.
from refunds import admin_credit_notes, admin_refunds  # noqa: E402, F401

from refunds import admin_sepa  # noqa: E402, F401  # isort: skip

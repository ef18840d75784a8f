"""The withdrawal function's forms: step 1 asks only what identifies the consumer and the
contract (art. 11a): a name, an e-mail address and an order number. No reason, no
condition questions."""

from django import forms
from django.utils.translation import gettext_lazy as _


class IdentifyForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("The address you ordered with. We send the confirmation there."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    order_number = forms.CharField(
        label=_("Order number"),
        help_text=_("As in your order confirmation, for example WS-100234."),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class OwnOrderForm(forms.Form):
    """A logged-in customer picks one of their own orders from a list."""

    order = forms.ChoiceField(label=_("Your order"), widget=forms.RadioSelect)

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [
            (order.number, f"{order.number} · {order.placed_at:%d-%m-%Y}") for order in orders
        ]

"""Logging in to the back office: staff (and customers) type their e-mail address."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, labelled for what people really type: the username is the
    e-mail address (accounts.models.User)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"

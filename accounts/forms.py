"""Logging in to the back office, and the admin's forms for staff members: staff (and
customers) type their e-mail address, which is also their username."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User

ADDRESS_TAKEN = _("Someone already has this e-mail address.")


class EmailAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, labelled for what people really type: the username is the
    e-mail address (accounts.models.User), whose case does not matter
    (accounts.backends.EmailBackend)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct e-mail address and password for a staff account. "
            "Note that the password is case-sensitive."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"


def role_groups():
    """The staff roles' groups (accounts.roles), in the order Role.ALL names them."""
    return Group.objects.filter(name__in=Role.ALL).order_by("name")


class _UniqueAddress:
    """The e-mail address in lower case, refused when another user has it in any case (the
    login does not tell case apart: accounts.backends.EmailBackend)."""

    instance: User
    cleaned_data: dict

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip()).lower()
        others = User.objects.exclude(pk=self.instance.pk) if self.instance.pk else User.objects
        if (
            others.filter(email__iexact=email).exists()
            or others.filter(username__iexact=email).exists()
        ):
            raise forms.ValidationError(ADDRESS_TAKEN, code="unique")
        return email

    def _post_clean(self) -> None:
        # The username is the address: set it before the model validates the instance and
        # the password validators compare the password with it.
        if "email" in self.cleaned_data:
            self.instance.username = self.cleaned_data["email"]
        super()._post_clean()  # type: ignore[misc]


class StaffCreationForm(_UniqueAddress, BaseUserCreationForm):
    """A new staff member: an e-mail address, a password and a role."""

    role = forms.ModelChoiceField(
        label=_("Role"),
        queryset=Group.objects.none(),
        help_text=_("What they may do in the back office. More roles can be added later."),
    )

    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = role_groups()
        self.fields["email"].widget.attrs["autofocus"] = True

    def save(self, commit: bool = True) -> User:
        self.instance.is_staff = True
        return super().save(commit)

    def _save_m2m(self) -> None:
        # Also when the admin saves with commit=False and calls save_m2m() afterwards.
        super()._save_m2m()
        self.instance.groups.add(self.cleaned_data["role"])


class StaffChangeForm(_UniqueAddress, UserChangeForm):
    """A user's address, names, status and roles; the username follows the address."""

    class Meta(UserChangeForm.Meta):
        model = User
        fields = (
            "email",
            "password",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
        )

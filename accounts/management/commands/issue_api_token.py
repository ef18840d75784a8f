"""`python manage.py issue_api_token EMAIL --name NAME [--days N]`: a staff member's key for
the API, valid for N days (90 unless told)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import API_TOKEN_DAYS, ApiToken, User

# Longer than this a key is not worth its risk: replace it instead.
MAX_DAYS = 366


class Command(BaseCommand):
    help = _(
        "Issue an API token for an active staff member and print its key once; "
        "only a digest is stored, so the key cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help=_("The staff member's e-mail address."))
        parser.add_argument(
            "--name", required=True, help=_('What the token is for, e.g. "webshop order feed".')
        )
        parser.add_argument(
            "--days",
            type=int,
            default=API_TOKEN_DAYS,
            help=_("How many days the token works (default %(default)s, at most %(max)s).")
            % {"default": API_TOKEN_DAYS, "max": MAX_DAYS},
        )

    def handle(self, *args, email: str, name: str, days: int = API_TOKEN_DAYS, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(_("No user has the e-mail address {email}.").format(email=email))
        if not (user.is_active and user.is_staff):
            # The API accepts only tokens of active staff (accounts.api_auth.StaffToken).
            raise CommandError(
                _("{email} is not an active staff member; their token would not work.").format(
                    email=user.email
                )
            )
        name = name.strip()
        if not name:
            raise CommandError(_("Give the token a name."))
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(
                _("A token works for 1 to {max} days, not {days}.").format(max=MAX_DAYS, days=days)
            )
        token, key = ApiToken.issue(user=user, name=name[:100], days=days)
        expires = formats.date_format(timezone.localtime(token.expires_at), "DATETIME_FORMAT")
        self.stderr.write(
            _(
                'Token "{name}" ({prefix}…) issued to {email}, valid until {expires}. '
                "Store the key now; it is not shown again:"
            ).format(name=token.name, prefix=token.prefix, email=user.email, expires=expires)
        )
        self.stdout.write(key)

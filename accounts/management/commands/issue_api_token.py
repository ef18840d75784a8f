"""`python manage.py issue_api_token EMAIL --name NAME`: a staff member's key for the API."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User


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

    def handle(self, *args, email: str, name: str, **options):
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
        token, key = ApiToken.issue(user=user, name=name[:100])
        self.stderr.write(
            _('Token "{name}" issued to {email}. Store the key now; it is not shown again:').format(
                name=token.name, email=user.email
            )
        )
        self.stdout.write(key)

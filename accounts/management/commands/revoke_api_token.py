"""`python manage.py revoke_api_token (--prefix START | --email EMAIL)`: stop API tokens.

By the start of its key (the admin's "key starts with"; the whole key works too), or every
token of a user. The API refuses a revoked token at once.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import PREFIX_LENGTH, ApiToken

# Fewer characters than this could name someone else's token by chance.
MIN_PREFIX = 6


class Command(BaseCommand):
    help = _("Revoke API tokens: one by the start of its key, or every token of a user.")

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--prefix",
            help=_("The first characters of the token's key (at least %(min)s), or the key.")
            % {"min": MIN_PREFIX},
        )
        which.add_argument("--email", help=_("Revoke every token of the user with this address."))

    def handle(self, *args, prefix: str | None = None, email: str | None = None, **options):
        usable = ApiToken.objects.usable()
        if email is not None:
            tokens = usable.filter(user__email__iexact=email.strip())
        else:
            tokens = self._by_prefix(usable, (prefix or "").strip())
        found = list(tokens.select_related("user"))
        count = ApiToken.objects.filter(pk__in=[token.pk for token in found]).revoke()
        if not count:
            raise CommandError(_("No usable token matches; nothing was revoked."))
        for token in found:
            self.stdout.write(
                _('Revoked "{name}" ({prefix}…) of {email}.').format(
                    name=token.name, prefix=token.prefix, email=token.user.email
                )
            )
        self.stdout.write(
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count}
        )

    @staticmethod
    def _by_prefix(usable, prefix: str):
        if len(prefix) < MIN_PREFIX:
            raise CommandError(
                _("Give at least {count} characters of the key.").format(count=MIN_PREFIX)
            )
        if len(prefix) > PREFIX_LENGTH:
            return usable.with_key(prefix)  # the whole key
        tokens = usable.filter(prefix__startswith=prefix)
        if tokens.count() > 1:
            raise CommandError(
                _("More than one token's key starts with {prefix}; give more of it.").format(
                    prefix=prefix
                )
            )
        return tokens

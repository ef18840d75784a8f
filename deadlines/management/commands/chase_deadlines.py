"""Chase the deadlines D1–D6 once: for the embedded default and for cron."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from deadlines.chasing import chase_deadlines


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("--now must be an ISO date or date and time, not {value!r}.").format(value=value)
        ) from exc
    # A moment without offset is the shop's local time.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    # Operator help stays English, like Django's own commands; the report is translated.
    help = (
        "Send the due deadline reminders, alerts and notices (D1–D6), expire lapsed "
        "authorizations and write off lapsed store credit, each once per ticket "
        "(vendor case, grant) and stage."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=_moment,
            default=None,
            help="Chase as if it were this moment (ISO 8601), for testing.",
        )

    def handle(self, *args, now: datetime | None = None, **options):
        report = chase_deadlines(now=now or timezone.now())
        for line in report.lines():
            self.stdout.write(line)

"""`python manage.py import_orders FILE`: import the orders of a JSON file (SPEC Appendix A)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from orders.importing import ImportFormatError, import_orders_json


class Command(BaseCommand):
    help = _(
        'Create or update the orders of a JSON file {"orders": [...]} (docs/order-import.md). '
        "Each order is imported on its own; the command fails if any order did not import."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_('The JSON file to import, or "-" for standard input.'))

    def handle(self, *args, file: str, **options):
        try:
            if file == "-":
                raw = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as handle:
                    raw = handle.read()
        except OSError as exc:  # missing, a directory, not readable by this user
            raise CommandError(
                _("Cannot read {file}: {error}").format(file=file, error=exc.strerror or exc)
            ) from None
        try:
            result = import_orders_json(raw)
        except ImportFormatError as exc:
            raise CommandError(
                _("{file} was not imported: {error}").format(file=file, error=exc)
            ) from None
        self.stdout.write(
            _(
                "{created} created, {updated} updated, {unchanged} unchanged, {failed} failed."
            ).format(
                created=result.created,
                updated=result.updated,
                unchanged=result.unchanged,
                failed=result.failed,
            )
        )
        for error in result.errors:
            self.stderr.write(str(error))
        if result.failed:
            raise CommandError(
                _("{failed} of {total} orders were not imported.").format(
                    failed=result.failed, total=result.failed + result.imported
                )
            )

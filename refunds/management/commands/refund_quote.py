import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from refunds.reports import ReportError, parse_day, parse_line_selection, refund_quote


class Command(BaseCommand):
    help = "Print the itemized refund for returning lines of an order (SPEC Appendix B)."

    def add_arguments(self, parser):
        parser.add_argument("order", help="the order number, e.g. WS-100234")
        parser.add_argument(
            "--line", action="append", default=[], metavar="ID:QTY", help="repeat per line"
        )
        parser.add_argument("--reason", required=True, help="withdrawal, order_error, …")
        parser.add_argument("--on", help="the day to decide for, YYYY-MM-DD (default: today)")
        parser.add_argument("--policy", help="a policy code (default policy)")
        parser.add_argument("--changed-mind", action="store_true", help="F2: changed their mind")
        parser.add_argument(
            "--store-credit", action="store_true", help="F6: refund as store credit by choice"
        )

    def handle(self, *args, **options):
        try:
            quote = refund_quote(
                options["order"],
                lines=parse_line_selection(options["line"]),
                reason=options["reason"],
                on=parse_day(options["on"], today=timezone.localdate()),
                preset=options["policy"],
                changed_mind=options["changed_mind"],
                store_credit=options["store_credit"],
            )
        except ReportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(quote, indent=2, ensure_ascii=False))

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from refunds.reports import ReportError, parse_day, returnability


class Command(BaseCommand):
    help = "Print what each line of an order can be returned for on a day (SPEC Appendix B)."

    def add_arguments(self, parser):
        parser.add_argument("order", help="the order number, e.g. WS-100234")
        parser.add_argument("--on", help="the day to decide for, YYYY-MM-DD (default: today)")
        parser.add_argument("--policy", help="a policy code, e.g. licence-shop (default policy)")

    def handle(self, *args, **options):
        try:
            on = parse_day(options["on"], today=timezone.localdate())
            report = returnability(options["order"], on=on, preset=options["policy"])
        except ReportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))

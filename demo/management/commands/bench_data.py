"""`python manage.py bench_data --tickets N --orders M [--replace]`: a shop's worth of data.

See `demo/bench_data.py` for what it writes and how.
"""

from django.core.management.base import BaseCommand, CommandError

from demo.bench_data import BenchDataError, bench_rows_exist, delete_bench_rows, generate


class Command(BaseCommand):
    help = (
        "Generate a realistic data set for benchmarks into the configured database: "
        "customers, orders over four years with lines, serials, shipments and payments; "
        "tickets in every state and reason with lines, events, tracking numbers and "
        "withdrawal dates; vendor cases, e-mails and store credit. PostgreSQL only (set-based "
        "INSERT … SELECT generate_series; a million tickets in minutes): on SQLite it refuses. "
        "The demo data and its staff logins are loaded first if missing and kept. Refuses to "
        "run into a database that has bench data already, unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=10_000, help="tickets (10000)")
        parser.add_argument(
            "--orders", type=int, default=None, help="orders (default: 0.3 × tickets)"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the previous bench rows (customers @bench.example.*, their orders, "
            "tickets and all that hangs off them) first",
        )

    def handle(self, *args, tickets: int, orders: int | None, replace: bool, **options):
        orders = orders if orders is not None else max(1, round(tickets * 0.3))
        say = self.stdout.write
        try:
            if bench_rows_exist():
                if not replace:
                    raise CommandError(
                        "This database has bench data already; run with --replace to delete "
                        "it and generate anew."
                    )
                deleted = delete_bench_rows(say)
                say("Deleted the previous bench rows: " + _counts(deleted))
            say(f"Generating {tickets:,} tickets on {orders:,} orders …")
            report = generate(tickets=tickets, orders=orders, say=say)
        except BenchDataError as error:
            raise CommandError(str(error)) from error
        say(f"  commit: {report.seconds['commit']:.1f} s")
        say(f"  vacuum analyze: {report.seconds['vacuum analyze']:.1f} s")
        say(self.style.SUCCESS(f"Done in {report.seconds['total']:.1f} s: " + _counts(report.rows)))


def _counts(rows: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {label}" for label, count in rows.items())

from django.core.management.base import BaseCommand
from django.utils import timezone

from demo.data import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo data once (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        if seed_demo(timezone.localdate()):
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data is already there.")
        self.stdout.write(
            "\nRetour runs at http://127.0.0.1:8000/ — customers log in at /login/, "
            "staff at /admin/. Demo logins:"
        )
        for role, email in demo_logins():
            self.stdout.write(f"  {role:<28} {email:<32} password: {DEMO_PASSWORD}")

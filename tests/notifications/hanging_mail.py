"""A file e-mail backend that hangs once, mid-send, when told to by a marker file.

`.hang-once` in the mail directory: the next send removes it, writes `.hanging` and sleeps
before anything reaches the "provider", so the test can kill the worker right there.
"""

import time
from pathlib import Path

from django.core.mail.backends import filebased


class EmailBackend(filebased.EmailBackend):
    def send_messages(self, email_messages):
        directory = Path(self.file_path)
        hang = directory / ".hang-once"
        if hang.exists():
            hang.unlink()
            (directory / ".hanging").touch()
            time.sleep(120)
        return super().send_messages(email_messages)

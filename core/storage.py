"""The private file storage: customers' photos and documents, outside the web root."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files under `settings.PRIVATE_MEDIA_ROOT`, read each time rather than once, so a
    test (or a deployment) that moves the folder moves where files land. No URL: a view
    that checks who asks serves them."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

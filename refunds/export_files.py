"""The bookkeeping's XLSX files, built by a worker rather than in the request (F7, F8).

openpyxl writes some 3,000 rows a second (benchmarks/bench_exports.py): the XLSX of a
busy month (100,000 refunds) takes longer than a web worker may take to answer. So the
exports page asks for the file (`export_file_request`, an `ExportFile` row and a task
queued once the row is committed) and lists it; a Celery worker writes it
(`export_file_build`, `refunds.tasks.build_export_file`) with the same writer as before
(`refunds.exports.xlsx_write`) into private storage, and the page links it when ready.
In the embedded default (tasks in-process) the file is ready when the page comes back.

The CSV needs none of this: it streams as it is read, at twice openpyxl's pace.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import tempfile
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from refunds.exports import EXPORTS, Export, Period, xlsx_write
from refunds.models import ExportFile, ExportKind

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

PERMISSION = "refunds.view_creditnote"
# How many of a person's files the page lists, newest first.
LISTED = 10

# Errors a person reads on the page beside the file (in the language it was asked in).
NOT_QUEUED = gettext_noop("The file could not be handed to a worker. Please ask for it again.")
NOT_WRITTEN = gettext_noop(
    "The file could not be written. Please ask for it again; if this happens again, "
    "tell the administrator."
)


def export_of(kind: str) -> Export:
    """The export an `ExportKind` names (`credit_notes` is the export `credit-notes`)."""
    return EXPORTS[kind.replace("_", "-")]


def kind_of(export: Export) -> ExportKind:
    return ExportKind(export.name.replace("-", "_"))


def export_file_name(export_file: ExportFile) -> str:
    """The name the download gets, as the streamed exports name theirs."""
    period = Period(export_file.first_day, export_file.last_day)
    return f"{export_of(export_file.kind).name}_{period.slug}.xlsx"


def export_files_of(user: User) -> list[ExportFile]:
    """The person's latest files, newest first, in one query."""
    return list(
        ExportFile.objects.filter(requested_by=user).order_by("-requested_at", "-id")[:LISTED]
    )


def export_file_request(
    *, kind: str, first_day: dt.date, last_day: dt.date, by: User, language: str | None = None
) -> ExportFile:
    """Ask a worker for the XLSX of the export `kind` from `first_day` to `last_day`.

    Only who may read credit notes may (`refunds.view_creditnote`: the accountants). The
    task is queued when the row is committed, in `language` (the asker's, for the sheet's
    headers and labels)."""
    if not by.has_perm(PERMISSION):
        raise PermissionDenied
    Period(first_day, last_day)  # PeriodError for a period that cannot be exported
    export_file = ExportFile.objects.create(
        requested_by=by, kind=ExportKind(kind), first_day=first_day, last_day=last_day
    )
    language = language or translation.get_language()
    transaction.on_commit(functools.partial(_publish, export_file.pk, language))
    return export_file


def _publish(export_id: int, language: str) -> None:
    from refunds.tasks import build_export_file

    try:
        build_export_file.apply_async((export_id, language), retry=False)
    except Exception:  # the broker is down: say so beside the file rather than wait forever
        logger.exception("Export file %s not handed to a worker", export_id)
        with translation.override(language):
            error = gettext(NOT_QUEUED)
        ExportFile.objects.filter(pk=export_id, finished_at=None).update(
            finished_at=timezone.now(), error=error
        )


def export_file_build(export_id: int, *, language: str | None = None) -> ExportFile:
    """Write the file's XLSX into private storage, once: a file already finished (a task
    delivered twice, acks_late) is left as it is. The row is locked while writing, so two
    workers never write it at once. A failure is kept on the row as a sentence the
    requester can read, not raised: the page shows it."""
    with transaction.atomic():
        export_file = ExportFile.objects.select_for_update().get(pk=export_id)
        if export_file.finished_at is not None:
            return export_file
        with translation.override(language or translation.get_language()):
            try:
                # A savepoint: a failing query leaves the row's transaction usable.
                with transaction.atomic(), tempfile.TemporaryFile() as target:
                    period = Period(export_file.first_day, export_file.last_day)
                    rows = xlsx_write(export_of(export_file.kind), period, target)
                    target.seek(0)
                    export_file.file.save(export_file_name(export_file), File(target), save=False)
                export_file.rows = rows
            except Exception:  # a full disk, a lost connection, a row the writer chokes on
                logger.exception("Export file %s could not be written", export_id)
                export_file.file = ""
                export_file.error = gettext(NOT_WRITTEN)
        export_file.finished_at = timezone.now()
        export_file.save(update_fields=["file", "rows", "error", "finished_at"])
    return export_file

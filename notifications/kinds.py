"""What the apps that own e-mails tell the outbox, so the outbox needs to know none of them.

An app registers each kind of e-mail it sends (`register_kind`), with the attachments
rendered at send time if any, and for each kind of subject an e-mail may be about (a
ticket) the function that reads its current data for the templates (`register_subject`).
The apps do so in their `AppConfig.ready()`; the outbox then renders and sends any row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

Attachment = tuple[str, bytes, str]  # file name, content, MIME type


class Superseded(Exception):
    """The subject moved on before its e-mail went out (a ticket cancelled before its
    authorization was sent): the e-mail must not be sent, and is not retried."""


@dataclass(frozen=True)
class Kind:
    name: str
    # Rendered when the e-mail is sent (the return label of an authorization, R7).
    attachments: Callable[[Any], list[Attachment]] | None = None


_kinds: dict[str, Kind] = {}
_subjects: dict[type[Model], Callable[[Any], dict[str, Any]]] = {}


AttachmentsOf = Callable[[Any], list[Attachment]]


def register_kind(name: str, *, attachments: AttachmentsOf | None = None) -> None:
    """Let the outbox send e-mails of kind `name` (templates `emails/<name>.*`)."""
    _kinds[name] = Kind(name=name, attachments=attachments)


def register_subject(model: type[Model], context: Callable[[Any], dict[str, Any]]) -> None:
    """Give the templates of e-mails about a `model` row its current data, at send time."""
    _subjects[model] = context


def kind(name: str) -> Kind:
    """The registered kind `name` (one nobody registered has no attachments; its missing
    templates fail the row when it is rendered)."""
    return _kinds.get(name) or Kind(name=name)


def kind_names() -> tuple[str, ...]:
    return tuple(_kinds)


def subject_context(subject: Model) -> dict[str, Any]:
    """What the templates see of `subject` now (nothing if its app registered nothing)."""
    context = _subjects.get(type(subject))
    return context(subject) if context is not None else {}

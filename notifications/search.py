"""The back office's e-mail search (issue 19): each thing staff type, through an index.

A recipient's address, a dedupe key or the provider's message id is found exactly; what
an e-mail is about (an RMA number, three characters or more) as free text. See
`core.search` for why these are separate queries.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Lower

from core.search import is_free_text, matching_pks


def email_search(emails: QuerySet, term: str) -> tuple[set[int], bool]:
    """The pks of `emails` that `term` finds, and whether a free-text match had more."""
    term = term.strip()
    sources = [
        emails.filter(dedupe_key=term),
        emails.filter(provider_message_id=term),
    ]
    if "@" in term:
        sources.append(emails.alias(to_lower=Lower("to")).filter(to_lower=term.lower()))
    if is_free_text(term):
        sources.append(emails.filter(about__icontains=term))
    return matching_pks(sources)

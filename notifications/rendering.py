"""Turn an outbox row into the message a person reads (SPEC §7).

Subject, plain text and HTML come from `templates/emails/<kind>.*` rendered in the row's
language. The subject's current data (a ticket's, from the function its app registered in
`notifications.kinds`) is read at send time; the row's `context` holds only what belongs
to the moment it was queued (the note, the notice time, a reminder's stage).
"""

from __future__ import annotations

import hashlib
import re
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime

from notifications.kinds import kind, subject_context
from notifications.models import Email

_BLANK_RUNS = re.compile(r"\n{3,}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _revive(value: Any) -> Any:
    """Turn the ISO strings the JSON column stores back into dates for `|date`."""
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return parse_date(value) or value
        if _ISO_DATETIME.match(value):
            return parse_datetime(value) or value
    return value


def _withdraw_url() -> str:
    try:
        return settings.SITE_URL + reverse("portal:withdraw")
    except NoReverseMatch:  # a site without the public pages
        return ""


def email_context(email: Email) -> dict[str, Any]:
    """What the templates of `email` see: shop, its subject (current), then the row's context."""
    context: dict[str, Any] = {
        "kind": email.kind,
        "site_url": settings.SITE_URL,
        "shop_name": settings.SHOP_NAME,
        "return_address": settings.SHOP_RETURN_ADDRESS,
        "support_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        # Art. 11a: every customer e-mail links to the site's withdrawal function.
        "withdraw_url": _withdraw_url(),
    }
    if email.subject is not None:
        context.update(subject_context(email.subject))
    context.update({key: _revive(value) for key, value in (email.context or {}).items()})
    return context


def email_render(email: Email) -> tuple[str, str, str]:
    """Render subject, text and HTML of `email` in its language."""
    with translation.override(email.language or settings.LANGUAGE_CODE):
        context = email_context(email)
        subject = render_to_string(f"emails/{email.kind}.subject.txt", context)
        text: str = render_to_string(f"emails/{email.kind}.txt", context)
        html = render_to_string(f"emails/{email.kind}.html", context)
    # A header must be one line; the text part reads better without the blank runs
    # that template tags leave behind.
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    text = _BLANK_RUNS.sub("\n\n", text) + "\n"
    return " ".join(subject.split()), text, html


def _message_id(email: Email) -> str:
    """A Message-ID stable per row: a resend after a crash carries the same id, so
    mailbox providers that de-duplicate on it (Gmail does) show it once."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "retour.invalid"
    digest = hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:16]
    return f"<retour.{email.pk}.{digest}@{domain}>"


def email_message_build(email: Email) -> EmailMultiAlternatives:
    """The message for `email`, with what its kind attaches (the return label, R7).

    Raises `Superseded` when the subject moved on and the e-mail must not go out."""
    subject, text, html = email_render(email)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.to],
        headers={"Message-ID": _message_id(email)},
    )
    message.attach_alternative(html, "text/html")
    # anymail reads these; Django's own backends ignore them. They are anymail's extensions,
    # not attributes EmailMultiAlternatives declares, hence setattr.
    anymail_extras: dict[str, object] = {
        "tags": [email.kind],
        "metadata": {"email_id": str(email.pk)},
    }
    for attribute, value in anymail_extras.items():
        setattr(message, attribute, value)
    attachments = kind(email.kind).attachments
    if attachments is not None and email.subject is not None:
        for name, content, mimetype in attachments(email.subject):
            message.attach(name, content, mimetype)
    return message

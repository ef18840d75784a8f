"""Documents of a ticket for the people it belongs to: its customer and staff."""

import re
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

from rma.labels import LabelRefused, render_label_a4, ticket_label
from rma.models import Attachment, Ticket
from withdrawals.documents import model_withdrawal_form


def _visible_ticket(request, number: str) -> Ticket:
    """The ticket if it is the user's own or the user is staff who may see tickets;
    anyone else, a visitor not logged in included, gets the same 404 as for a ticket that
    does not exist."""
    user = request.user
    if not user.is_authenticated:  # a guest's order has no user: None must match nobody
        raise Http404
    ticket = get_object_or_404(Ticket.objects.select_related("order__customer"), number=number)
    if user.is_staff and user.has_perm("rma.view_ticket"):
        return ticket
    if ticket.order.customer.user_id == user.pk:
        return ticket
    raise Http404


_NOT_PORTABLE = re.compile(r"[^A-Za-z0-9._-]+")


def inline_pdf(response: HttpResponse, filename: str) -> HttpResponse:
    """Name the PDF and keep it out of every cache: it holds a person's name and address.

    The name comes from order and ticket numbers, which the webshop chose: a quote or a
    line break in one must neither break nor extend the header. So the header carries a
    plain ASCII `filename` (through Django's own helper) for every browser and, when the
    name is more than that, the exact one as RFC 6266's `filename*=UTF-8''...` (control
    characters replaced: no browser should save a file with a line break in its name).
    """
    filename = "".join("_" if unicodedata.category(c) == "Cc" else c for c in filename)
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = _NOT_PORTABLE.sub("_", ascii_name).strip("._") or "document.pdf"
    header = content_disposition_header(as_attachment=False, filename=ascii_name)
    if ascii_name != filename:
        header = "; ".join((header, "filename*=UTF-8''" + quote(filename, safe="")))
    response["Content-Disposition"] = header
    patch_cache_control(response, private=True, no_store=True)
    return response


def label_download(request, number: str):
    """The stored A6 label, or the A4 cut-out sheet with `?layout=a4`."""
    return label_response(request, _visible_ticket(request, number))


def label_response(request, ticket: Ticket) -> HttpResponse:
    """The ticket's label as an inline PDF, or why it has none (409). The back office
    and the public site (to the owner, or through a signed link) serve it alike."""
    try:
        if request.GET.get("layout") == "a4":
            response = HttpResponse(render_label_a4(ticket), content_type="application/pdf")
        else:
            response = FileResponse(
                ticket_label(ticket).pdf.open("rb"), content_type="application/pdf"
            )
    except LabelRefused as refused:
        return HttpResponse(str(refused), status=409, content_type="text/plain; charset=utf-8")
    return inline_pdf(response, ticket.number + "-label.pdf")


def withdrawal_form_download(request, number: str):
    """The model withdrawal form (W3, appendix 2), pre-filled for the ticket's order."""
    ticket = _visible_ticket(request, number)
    pdf = model_withdrawal_form(order=ticket.order, customer=ticket.order.customer)
    response = HttpResponse(pdf, content_type="application/pdf")
    return inline_pdf(response, ticket.order.number + "-withdrawal.pdf")


# An attachment is shown, never run: an image in a sandbox that may load nothing at all; a
# PDF (which pypdf wrote again after refusing scripts, rma/attachments.py) without the
# sandbox, in which Chrome refuses to start its PDF viewer, and with no script source.
_IMAGE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
_PDF_POLICY = "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'"
_SHOWN = {"image/jpeg", "image/png", "application/pdf"}


def attachment_download(request, key):
    """A customer's photo or document, to the ticket's owner and to staff who may see
    tickets; anyone else, logged in or not, gets the 404 of an attachment that does
    not exist (no redirect to the login that would tell the key is real)."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("ticket__order__customer"), key=key
    )
    user = request.user
    if not user.is_authenticated:
        raise Http404
    is_staff = user.is_staff and user.has_perm("rma.view_ticket")
    if not is_staff and attachment.ticket.order.customer.user_id != user.pk:
        raise Http404
    content_type = attachment.content_type
    if content_type not in _SHOWN:  # never from rma.attachments; a row edited by hand
        content_type = "application/octet-stream"
    response = FileResponse(attachment.file.open("rb"), content_type=content_type)
    inline_pdf(response, attachment.name)  # the same safe inline name, kept out of caches
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        _PDF_POLICY if content_type == "application/pdf" else _IMAGE_POLICY
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

"""Bank-transfer refunds paid by SEPA credit-transfer files (F6, F8; issue 18 §2).

An accountant makes a batch: every approved bank-transfer part not yet in a batch whose
refund has an IBAN (the portal asks the customer for a missing one; those wait) goes into
one pain.001 file for the shop's bank, one transfer per part. The parts are claimed with
`SELECT … FOR UPDATE SKIP LOCKED`, so two accountants making batches at the same moment
never put a part into two files: each gets the rows the other has not locked.

When the bank has executed the file the accountant books the batch: each part is paid
(its reference the transfer's end-to-end id) under its refund's row lock, and a refund
whose every part is paid becomes PAID with its credit note (`refunding.settle_if_paid`).
Booking pays only parts not yet paid, so a batch booked twice, or by two accountants at
once, pays once. A refund the bank refused meanwhile (`refunding.refund_fail`) has left
the batch and is skipped; retried, it goes into the next batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sepaxml
import xmlschema
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from sepaxml import SepaTransfer
from text_unidecode import unidecode

from core.money import ZERO
from refunds.iban import IbanError, normalized_iban
from refunds.models import Channel, Refund, RefundPart, RefundState, SepaBatch
from refunds.refunding import NOT_ALLOWED, RefundError, settle_if_paid

if TYPE_CHECKING:
    from accounts.models import User

# The ISO 20022 version of the file. pain.001.001.03 is the one every SEPA bank takes;
# the EPC's 2023 rulebook moves to pain.001.001.09, which sepaxml also writes (and ships
# the XSD of): a bank that wants it needs only this constant changed.
SCHEMA = "pain.001.001.03"
# Transfers per file at most: a batch is made within one web request (and the web server's
# timeout) and stays within what banks take in one upload; the rest go into the next one.
MAX_TRANSFERS = 10_000

# Messages a person may see; the tests assert on them.
EXECUTION_IN_PAST = gettext_noop("The bank cannot execute a transfer on a day that has passed.")
SHOP_ACCOUNT_WRONG = gettext_noop(
    "The shop's own bank account (SHOP_IBAN) is not a valid IBAN; ask the administrator."
)
FILE_INVALID = gettext_noop(
    "The bank would refuse this file ({reason}); nothing was put in a batch. Tell the "
    "administrator which refunds were ready."
)
NOT_YET_EXECUTED = gettext_noop(
    "The bank executes batch {batch} on {day}; book it once the money has left the account."
)
# The text on the customer's bank statement, in their language.
REMITTANCE = gettext_noop("Refund {refund}, order {order}")

# Refunds settled per transaction while booking: the locks stay short, and a booking cut
# off half-way (a restart, a lost connection) is finished by booking again.
BOOK_CHUNK = 500

# The EPC's character set for SEPA texts (Latin letters, digits, / - ? : ( ) . , ' +
# and space); banks refuse or garble the rest, so after transliteration it becomes a space.
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def sepa_text(text: str, length: int) -> str:
    """`text` in the SEPA character set, at most `length` characters."""
    return " ".join(_NOT_SEPA.sub(" ", unidecode(text)).split())[:length]


@cache
def pain001_schema() -> xmlschema.XMLSchema:
    """The XSD of the file, read once per process (reading it takes half a second)."""
    return xmlschema.XMLSchema(Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd")


def end_to_end_id(refund_number: str, part_pk: int) -> str:
    """The transfer's id, unique per part, that the bank reports back (≤ 35 characters)."""
    return f"{refund_number}-{part_pk}"


def _require(by: User | None, permission: str) -> None:
    # None is the system (a scheduled task): it acts on behalf of nobody in particular.
    if by is not None and not by.has_perm(permission):
        raise RefundError(_(NOT_ALLOWED))


def _shop_account() -> dict[str, str | bool]:
    """sepaxml's debtor: the shop, paying from its own account."""
    try:
        iban = normalized_iban(settings.SHOP_IBAN)
    except IbanError:
        raise RefundError(_(SHOP_ACCOUNT_WRONG)) from None
    account: dict[str, str | bool] = {
        "name": sepa_text(settings.SHOP_SEPA_NAME or settings.SHOP_NAME, 70),
        "IBAN": iban,
        "currency": "EUR",
        "batch": True,  # one debit on the shop's statement per file
    }
    bic = "".join(settings.SHOP_BIC.split()).upper()
    if bic:
        account["BIC"] = bic
    return account


@dataclass(frozen=True)
class Transfer:
    """One transfer of a file: what the bank needs to pay one refund part."""

    part_pk: int
    refund_number: str
    order_number: str
    iban: str
    name: str
    amount: Decimal
    language: str

    @property
    def end_to_end_id(self) -> str:
        return end_to_end_id(self.refund_number, self.part_pk)


def pain001(transfers: list[Transfer], *, execution_date: date) -> tuple[str, bytes]:
    """The pain.001 file of `transfers` from the shop's account: its message id and XML.

    The file is checked against the XSD before it is stored, so a file the bank would
    refuse for its form never leaves Retour."""
    remittance: dict[str, str] = {}
    for language in {transfer.language for transfer in transfers}:
        with translation.override(language or settings.LANGUAGE_CODE):
            remittance[language] = _(REMITTANCE)
    sepa = SepaTransfer(_shop_account(), schema=SCHEMA, clean=False)
    for transfer in transfers:
        cents = transfer.amount * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{transfer.end_to_end_id}: {transfer.amount} is not in cents")
        text = remittance[transfer.language].format(
            refund=transfer.refund_number, order=transfer.order_number
        )
        sepa.add_payment(
            {
                # A name of signs only would be empty, which the XSD refuses.
                "name": sepa_text(transfer.name, 70) or transfer.refund_number,
                "IBAN": transfer.iban,
                "amount": int(cents),
                "execution_date": execution_date,
                "description": sepa_text(text, 140),
                "endtoend_id": transfer.end_to_end_id,
            }
        )
    xml = sepa.export(validate=False)  # checked below, against the schema read once
    error = next(pain001_schema().iter_errors(xml.decode()), None)
    if error is not None:
        raise RefundError(_(FILE_INVALID).format(reason=f"{error.path}: {error.reason}"))
    return sepa.msg_id, xml


def _claim() -> list[Transfer]:
    """Lock the parts to pay, and their refunds, skipping rows others hold.

    A refund someone is failing, cancelling or giving a new IBAN holds its row lock: its
    parts wait for the next batch rather than go to the bank with what is about to change.
    Tickets, orders and customers are read, not locked."""
    parts = (
        RefundPart.objects.select_for_update(skip_locked=True, of=("self", "refund"))
        .filter(
            channel=Channel.SEPA,
            batch__isnull=True,
            paid_at__isnull=True,
            refund__state=RefundState.APPROVED,
        )
        .exclude(refund__iban="")
        .select_related("refund")
        .only(
            "amount",
            "refund__number",
            "refund__state",
            "refund__iban",
            "refund__account_holder",
        )
        .annotate(
            order_number=F("refund__ticket__order__number"),
            customer_name=F("refund__ticket__order__customer__name"),
            language=F("refund__ticket__order__customer__language"),
        )
        .order_by("pk")[:MAX_TRANSFERS]
    )
    return [
        Transfer(
            part_pk=part.pk,
            refund_number=part.refund.number,
            order_number=part.order_number,
            iban=part.refund.iban,
            name=part.refund.account_holder or part.customer_name,
            amount=part.amount,
            language=part.language,
        )
        for part in parts
    ]


@transaction.atomic
def sepa_batch_create(*, by: User | None, execution_date: date) -> SepaBatch | None:
    """Put every approved bank transfer with an IBAN into one pain.001 file for the bank.

    Returns None when nothing is waiting (refunds without an IBAN wait for the customer)."""
    _require(by, "refunds.add_sepabatch")
    if execution_date < timezone.localdate():
        raise RefundError(_(EXECUTION_IN_PAST))
    transfers = _claim()
    if not transfers:
        return None
    message_id, xml = pain001(transfers, execution_date=execution_date)
    batch = SepaBatch(
        message_id=message_id,
        created_by=by,
        execution_date=execution_date,
        count=len(transfers),
        total=sum((transfer.amount for transfer in transfers), ZERO),
    )
    # Written before the row is inserted: a rolled-back batch leaves at most an orphan
    # file in private storage, never a batch without its file.
    batch.xml.save(f"{message_id}.xml", ContentFile(xml), save=True)
    RefundPart.objects.filter(pk__in=[transfer.part_pk for transfer in transfers]).update(
        batch=batch
    )
    return batch


def sepa_batch_book(*, batch: SepaBatch, by: User | None) -> int:
    """The bank executed the batch: pay its parts and settle their refunds, once.

    Returns how many parts this booking paid (0 when the batch was booked before)."""
    _require(by, "refunds.pay_refund")
    if batch.execution_date > timezone.localdate():
        raise RefundError(
            _(NOT_YET_EXECUTED).format(batch=batch.message_id, day=batch.execution_date)
        )
    # The part's end-to-end id, as the file gave it (`end_to_end_id`), in one UPDATE.
    reference = Concat(
        Subquery(Refund.objects.filter(pk=OuterRef("refund_id")).values("number")[:1]),
        Value("-"),
        Cast("pk", CharField()),
        output_field=CharField(),
    )
    unpaid = RefundPart.objects.filter(batch=batch, paid_at__isnull=True)
    paid, after = 0, 0
    while True:
        with transaction.atomic():
            # Locked in pk order, as every booker locks them: two bookers queue, never
            # deadlock, and the second finds the refunds paid (no longer APPROVED).
            refunds = list(
                Refund.objects.select_for_update()
                .filter(
                    pk__gt=after,
                    state=RefundState.APPROVED,
                    pk__in=unpaid.values("refund_id"),
                )
                .order_by("pk")[:BOOK_CHUNK]
            )
            if not refunds:
                break
            after = refunds[-1].pk
            paid += unpaid.filter(refund__in=refunds).update(
                paid_at=timezone.now(), reference=reference
            )
            for refund in refunds:
                settle_if_paid(refund, by)
    SepaBatch.objects.filter(pk=batch.pk, executed_at__isnull=True).update(
        executed_at=timezone.now(), executed_by=by
    )
    return paid

"""The cases at manufacturers (SPEC §3, R13); the vendors themselves are `orders.Vendor`.

A vendor case is one unit of a ticket that goes to (or through) its vendor (R13): the
shop forwards it (V1), the customer was sent to the vendor's portal (V2), or the vendor's
support validated it first (V3). The case's transitions only change its state and check
their conditions; `vendors/services.py` locks, records and is their only caller.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.events import Event
from orders.enums import Route
from orders.models import Vendor


class CaseState(models.TextChoices):
    OPEN = "open", _("open")  # V1: still at the shop; V2/V3: the customer goes to the vendor
    AT_VENDOR = "at_vendor", _("at the vendor")
    DECIDED = "decided", _("decided by the vendor")
    CLOSED = "closed", _("closed")


# D5: the vendor owes a decision while the case is in one of these.
AWAITING_VENDOR = (CaseState.OPEN, CaseState.AT_VENDOR)


class Decision(models.TextChoices):
    """What the vendor decides on a unit (R13)."""

    REPAIR = "repair", _("repair")
    REPLACE = "replace", _("replace")
    CREDIT = "credit", _("credit")
    REJECT = "reject", _("reject (e.g. out of warranty)")


class VendorCase(ConcurrentTransitionMixin, models.Model):
    """One unit of a ticket line at its vendor (SPEC §3, R13)."""

    ticket_line = models.ForeignKey(
        "rma.TicketLine",
        on_delete=models.PROTECT,
        related_name="vendor_cases",
        verbose_name=_("ticket line"),
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="cases", verbose_name=_("vendor")
    )
    # The route when the case was opened: a vendor may change its route later.
    route = models.CharField(_("RMA route"), max_length=30, choices=Route)
    state = FSMField(_("state"), default=CaseState.OPEN, choices=CaseState, protected=True)
    serial = models.CharField(_("serial number"), max_length=80, blank=True)
    mac_address = models.CharField(_("MAC address"), max_length=17, blank=True)
    firmware_version = models.CharField(_("firmware version"), max_length=60, blank=True)
    vendor_ticket_number = models.CharField(  # V3: the vendor's support validated the fault
        _("vendor support ticket"), max_length=60, blank=True
    )
    vendor_rma_number = models.CharField(_("vendor RMA number"), max_length=60, blank=True)
    decision = models.CharField(_("vendor's decision"), max_length=10, choices=Decision, blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    sent_at = models.DateTimeField(_("sent to the vendor"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    note = models.TextField(_("internal note"), blank=True)
    # R13: the diagnosed unit the case was opened from (one case per unit).
    unit = models.ForeignKey(
        "rma.ReturnedUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vendor_cases",
        verbose_name=_("returned unit"),
    )
    # V1: the vendor shipment the unit travels in.
    shipment = models.ForeignKey(
        "VendorShipment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("vendor shipment"),
    )
    # SPEC §3: a new unit the vendor shipped before the faulty one arrived.
    advance_replacement_shipped_on = models.DateField(
        _("advance replacement shipped on"), null=True, blank=True
    )
    advance_replacement_serial = models.CharField(
        _("advance replacement serial"), max_length=80, blank=True
    )
    advance_replacement_tracking_number = models.CharField(
        _("advance replacement tracking number"), max_length=80, blank=True
    )
    # The repaired or replacement unit on its way back to the customer.
    returned_to_customer_at = models.DateTimeField(
        _("sent back to the customer"), null=True, blank=True
    )
    return_carrier = models.CharField(_("carrier to the customer"), max_length=60, blank=True)
    return_tracking_number = models.CharField(
        _("tracking number to the customer"), max_length=80, blank=True
    )

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("vendor case")
        verbose_name_plural = _("vendor cases")
        constraints = [
            # One case per unit: a serial is at its vendor once per ticket line.
            models.UniqueConstraint(
                fields=["ticket_line", "serial"],
                condition=~Q(serial=""),
                name="vendor_case_unit_unique",
            ),
            # R13: a returned unit has at most one vendor case.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(unit__isnull=False),
                name="vendor_case_one_per_unit",
            ),
        ]
        indexes = [
            # D5: cases still awaiting the vendor, by age (the chaser and the staff's
            # "Overdue" filter read only these rows; the list, newest first, a page of
            # them).
            models.Index(
                fields=["opened_at", "id"],
                condition=Q(state__in=["open", "at_vendor"]),
                name="vendor_case_awaiting_idx",
            ),
            models.Index(fields=["state", "opened_at", "id"], name="vendor_case_state_opened_idx"),
            # The staff list: newest first, its filters, its exact searches.
            models.Index(fields=["opened_at", "id"], name="vendor_case_opened_idx"),
            models.Index(fields=["route", "opened_at", "id"], name="vendor_case_route_idx"),
            models.Index(fields=["vendor", "opened_at", "id"], name="vendor_case_vendor_idx"),
            models.Index(fields=["serial"], name="vendor_case_serial_idx"),
            models.Index(fields=["vendor_rma_number"], name="vendor_case_rma_number_idx"),
            models.Index(fields=["vendor_ticket_number"], name="vendor_case_ticket_number_idx"),
        ]
        permissions = [
            ("send_vendorcase", _("Can send a unit to its vendor")),
            ("decide_vendorcase", _("Can record the vendor's decision")),
            ("close_vendorcase", _("Can close a vendor case")),
            ("replace_vendorcase", _("Can record an advance replacement")),
            ("return_vendorcase", _("Can send a unit back to the customer")),
        ]

    def __str__(self) -> str:
        unit = f" {self.serial}" if self.serial else ""
        return f"{self.vendor}{unit} (#{self.pk})"

    def _has_decision(self) -> bool:
        return bool(self.decision)

    @transition(
        field=state,
        source=CaseState.OPEN,
        target=CaseState.AT_VENDOR,
        permission="vendors.send_vendorcase",
    )
    def send(self) -> None:
        pass

    @transition(
        field=state,
        source=[CaseState.OPEN, CaseState.AT_VENDOR],
        target=CaseState.DECIDED,
        permission="vendors.decide_vendorcase",
        # django-fsm-2 types conditions as taking any Model; ours take this model.
        conditions=[_has_decision],  # type: ignore[list-item]
    )
    def decide(self) -> None:
        pass

    @transition(
        field=state,
        source=CaseState.DECIDED,
        target=CaseState.CLOSED,
        permission="vendors.close_vendorcase",
    )
    def close(self) -> None:
        pass

    for _method in (send, decide, close):
        _method.alters_data = True  # templates must not be able to call them
    del _method


class ShipmentState(models.TextChoices):
    DRAFT = "draft", _("being packed")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered to the vendor")


class VendorShipment(ConcurrentTransitionMixin, models.Model):
    """A parcel of units the shop forwards to one vendor (V1), with its packing list.

    Cases are gathered into a draft; sending it sends every case in it at once
    (`vendors/services.py`, `shipment_send`).
    """

    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("vendor")
    )
    state = FSMField(_("state"), default=ShipmentState.DRAFT, choices=ShipmentState, protected=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    note = models.TextField(_("internal note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("vendor shipment")
        verbose_name_plural = _("vendor shipments")
        indexes = [
            # The draft of a vendor to add to; the list per vendor and state, newest first.
            models.Index(
                fields=["vendor", "state", "created_at"], name="vendor_shipment_vendor_idx"
            ),
            models.Index(fields=["created_at", "id"], name="vendor_shipment_created_idx"),
            models.Index(fields=["tracking_number"], name="vendor_shipment_tracking_idx"),
        ]
        permissions = [
            ("send_vendorshipment", _("Can send a vendor shipment")),
            ("deliver_vendorshipment", _("Can record a vendor shipment as delivered")),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} #{self.pk}"

    @transition(
        field=state,
        source=ShipmentState.DRAFT,
        target=ShipmentState.SENT,
        permission="vendors.send_vendorshipment",
    )
    def send(self) -> None:
        pass

    @transition(
        field=state,
        source=ShipmentState.SENT,
        target=ShipmentState.DELIVERED,
        permission="vendors.deliver_vendorshipment",
    )
    def deliver(self) -> None:
        pass

    for _method in (send, deliver):
        _method.alters_data = True
    del _method


class VendorCaseEvent(Event):
    """One row per change of a vendor case: opened, sent, decided, closed (who, when, why).

    The ticket's timeline shows them beside the ticket's own events; `data` holds what
    came with the change (the decision, the vendor's RMA number).
    """

    case = models.ForeignKey(VendorCase, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("from"), max_length=20, choices=CaseState, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=CaseState)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("vendor case event")
        verbose_name_plural = _("vendor case events")

    def __str__(self) -> str:
        return f"{self.case} {self.from_state} → {self.to_state}"

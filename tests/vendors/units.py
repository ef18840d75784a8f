"""A received defect unit diagnosed "send to the vendor" (R13), for the vendor-case tests.

The receipt makes the unit (`rma.services.receiving.units_create`); the diagnosis is
written here as the diagnosis form would leave it, so these tests do not depend on
the diagnosis page.
"""

from django.utils import timezone

from orders.models import Vendor
from rma.models import Grade, Outcome, ReturnedUnit
from rma.states import State
from tests.vendors.cases import ticket_line


def diagnosed_unit(
    of: Vendor,
    *,
    serial: str = "SN-0001",
    outcome: str = Outcome.VENDOR_CASE,
    fault: str = "Does not power on; no LEDs.",
    diagnosed: bool = True,
) -> ReturnedUnit:
    """The one unit of a received defect ticket for a product of vendor `of`."""
    line = ticket_line(of=of, state=State.RECEIVED, serials=(serial,) if serial else ())
    unit = line.returned_units.get()
    if diagnosed:
        ReturnedUnit.objects.filter(pk=unit.pk).update(
            grade=Grade.OPENED_AS_NEW,
            locked=False,
            serial_matches=True,
            accessories_complete=True,
            defect_confirmed=outcome == Outcome.VENDOR_CASE,
            outcome=outcome,
            diagnosis_note=fault,
            diagnosed_at=timezone.now(),
        )
    return ReturnedUnit.objects.select_related("ticket_line__ticket").get(pk=unit.pk)

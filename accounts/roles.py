"""The staff roles as groups with their permissions, kept in step after every migrate."""

from django.contrib.auth.models import Group, Permission

from accounts.models import Role

_VIEW_ORDERS = [
    "orders.view_order",
    "orders.view_orderline",
    "orders.view_customer",
    "orders.view_product",
    "orders.view_shipment",
    "orders.view_payment",
    "orders.view_discount",
    "orders.view_vendor",
]
# V1: support and the warehouse pack the units the shop forwards into vendor shipments.
_VENDOR_SHIPPING = [
    "vendors.view_vendorshipment",
    "vendors.change_vendorshipment",
    "vendors.send_vendorshipment",
    "vendors.deliver_vendorshipment",
    "vendors.return_vendorcase",  # the repaired or replacement unit back to the customer
]
_VIEW_TICKETS = [
    "rma.view_ticket",
    "rma.view_ticketline",
    "rma.view_ticketevent",
    "policies.view_returnpolicy",
    "vendors.view_vendorcase",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SUPPORT: _VIEW_ORDERS
    + _VIEW_TICKETS
    + [
        "rma.add_ticket",
        "rma.change_ticket",
        "rma.authorize_ticket",
        "rma.reject_ticket",
        "rma.cancel_ticket",
        "rma.expire_ticket",
        "rma.diagnose_ticket",
        "rma.resolve_ticket",
        "orders.change_vendor",
        # R13, V1–V3: support opens the vendor cases and records the vendor's word (D5).
        "vendors.add_vendorcase",
        "vendors.send_vendorcase",
        "vendors.decide_vendorcase",
        "vendors.close_vendorcase",
        "vendors.replace_vendorcase",  # the vendor's advance replacement (SPEC §3)
        *_VENDOR_SHIPPING,
        "refunds.view_storecreditentry",
        "notifications.view_email",  # the outbox: what was sent, what bounced or failed
    ],
    # The warehouse packs the units that go to vendors (V1).
    Role.WAREHOUSE: _VIEW_ORDERS
    + _VIEW_TICKETS
    + ["rma.receive_ticket", "vendors.send_vendorcase", *_VENDOR_SHIPPING],
    # F7: accountants keep the store-credit ledger (grant and withdraw with a reason).
    # F8: they propose, adjust, approve and pay refunds; four eyes are kept by who did
    # what (`refunds.refunding.refund_may_approve`), not by the role.
    Role.ACCOUNTANT: _VIEW_ORDERS
    + _VIEW_TICKETS
    + [
        "rma.resolve_ticket",
        "rma.view_returnedunit",
        "refunds.view_storecreditentry",
        "refunds.add_storecreditentry",
        "refunds.view_refund",
        "refunds.add_refund",
        "refunds.change_refund",
        "refunds.approve_refund",
        "refunds.pay_refund",
        "refunds.view_creditnote",
        "refunds.view_sepabatch",
        "refunds.add_sepabatch",
    ],
}


def ensure_roles(**kwargs) -> None:
    """Create the role groups and give them exactly their permissions (idempotent)."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    if not wanted <= found.keys():
        return  # not every app is migrated yet; a later post_migrate finishes the job
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([found[perm] for perm in perms])

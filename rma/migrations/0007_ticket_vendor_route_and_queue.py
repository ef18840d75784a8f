"""The queue's vendor and route filters (issue 16 §5): `Ticket.vendor` and `Ticket.route`
copied from the lines, with an index each; existing tickets filled in set-based, and
`customer_waiting_since` filled in for tickets whose customer's last messages are not
answered yet."""

import django.db.models.deletion
from django.db import migrations, models

# A defect's vendor (the reasons of policies.reasons.VENDOR_REASONS, as they are now) is
# the first (by line) that takes it directly (V2, V3), else the first line's (V1); every
# other return's is the first line's (rma.emails.ticket_context).
VENDOR_SQL = (
    """
    UPDATE rma_ticket SET vendor_id = (
        SELECT p.vendor_id
        FROM rma_ticketline tl
        JOIN orders_orderline ol ON ol.id = tl.order_line_id
        JOIN orders_product p ON p.id = ol.product_id
        JOIN orders_vendor v ON v.id = p.vendor_id
        WHERE tl.ticket_id = rma_ticket.id AND v.route <> 'via_shop'
        ORDER BY tl.id LIMIT 1
    )
    WHERE reason IN ('defective', 'dead_on_arrival')
    """,
    """
    UPDATE rma_ticket SET vendor_id = (
        SELECT p.vendor_id
        FROM rma_ticketline tl
        JOIN orders_orderline ol ON ol.id = tl.order_line_id
        JOIN orders_product p ON p.id = ol.product_id
        WHERE tl.ticket_id = rma_ticket.id
        ORDER BY tl.id LIMIT 1
    )
    WHERE vendor_id IS NULL
    """,
)
# Only a defect goes the vendor's route; everything else comes back to the shop (V1).
ROUTE_SQL = """
UPDATE rma_ticket SET route = COALESCE(
    (SELECT v.route FROM orders_vendor v WHERE v.id = rma_ticket.vendor_id), 'via_shop'
)
WHERE reason IN ('defective', 'dead_on_arrival') AND vendor_id IS NOT NULL
"""
# Waiting since the customer's first message that no staff message followed.
WAITING_SQL = """
UPDATE rma_ticket SET customer_waiting_since = (
    SELECT MIN(m.at) FROM rma_ticketmessage m
    WHERE m.ticket_id = rma_ticket.id AND m.from_customer AND NOT EXISTS (
        SELECT 1 FROM rma_ticketmessage s
        WHERE s.ticket_id = m.ticket_id AND NOT s.from_customer AND s.at >= m.at
    )
)
WHERE id IN (SELECT ticket_id FROM rma_ticketmessage WHERE from_customer)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_search_by_customer_and_product"),
        ("rma", "0006_returned_units_parcel_scans_and_queue"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="route",
            field=models.CharField(
                choices=[
                    ("via_shop", "Via the shop"),
                    ("vendor_direct", "Directly at the vendor"),
                    ("vendor_validation_first", "Vendor support validates first"),
                ],
                default="via_shop",
                max_length=30,
                verbose_name="RMA route",
            ),
        ),
        migrations.AddField(
            model_name="ticket",
            name="vendor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.vendor",
                verbose_name="vendor",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["vendor", "created_at", "id"], name="ticket_vendor_created_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["route", "created_at", "id"], name="ticket_route_created_idx"
            ),
        ),
        migrations.RunSQL(VENDOR_SQL, migrations.RunSQL.noop),
        migrations.RunSQL(ROUTE_SQL, migrations.RunSQL.noop),
        migrations.RunSQL(WAITING_SQL, migrations.RunSQL.noop),
    ]

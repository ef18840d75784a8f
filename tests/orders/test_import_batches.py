"""The order import writes in batches (issue 19): each batch's orders are planned in Python
and written in bulk in one transaction, a bounded number of queries per batch.

What a batch must keep of the promises of one transaction per order: a bad order is
refused alone, with its number and field, and nothing of it is written, whether the
parsing, the plan (a return in progress) or the database refuses it; the counts stay
exact; the shared customers and products still follow the most recently placed order
across batches.
"""

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.importing import DATABASE_CONCURRENT, OrderError, import_orders, importer, shared
from orders.models import Customer, Order, OrderLine, Product, Shipment
from rma import services
from tests.orders.test_import import appendix_a, example_order, only_error


def order(n: int, *, email: str | None = None, shop: str = "") -> dict:
    """Order n: two lines of two products shared with its neighbours, a discount, two
    payments, one shipment delivered and one under way. The SKUs and vendors of
    different `shop`s differ."""
    return {
        "number": f"WS-3{n:05d}",
        "customer": {
            "email": email or f"klant{n}@example.nl",
            "name": f"Klant {n}",
            "type": "consumer",
            "country": "NL",
        },
        "placed_at": "2026-10-05T12:00:00+02:00",
        "shipping": {"method": "standard", "price": "6.95", "standard_price": "6.95"},
        "discounts": [{"code": "WELKOM", "amount": "5.00"}],
        "payments": [
            {"method": "gift_voucher", "amount": "25.00"},
            {"method": "ideal", "amount": "190.95"},
        ],
        "lines": [
            {
                "id": "1",
                "sku": f"{shop}SKU-{n % 7}",
                "name": f"Switch {n % 7}",
                "vendor": f"{shop}Vendor {n % 3}",
                "quantity": 2,
                "unit_price": "60.00",
                "vat_rate": "21",
                "flags": ["has_login"],
                "serials": [f"SN{n}A", f"SN{n}B"],
            },
            {
                "id": "2",
                "sku": f"{shop}SKU-X{n % 5}",
                "name": f"Cable {n % 5}",
                "vendor": f"{shop}Kabelfabriek",
                "quantity": 1,
                "unit_price": "94.00",
                "vat_rate": "21",
            },
        ],
        "shipments": [
            {
                "lines": {"1": 2},
                "shipped_at": "2026-10-06T09:00:00+02:00",
                "delivered_at": "2026-10-07T14:00:00+02:00",
                "carrier": "PostNL",
                "tracking": f"3S{n:08d}",
            },
            {"lines": {"2": 1}, "shipped_at": "2026-10-06T09:00:00+02:00"},
        ],
    }


def edited(document: dict) -> dict:
    """Every order changed: a new invoice date, the first line renamed, its shipments an
    hour later and the one under way delivered."""
    document = copy.deepcopy(document)
    for raw in document["orders"]:
        raw["invoiced_on"] = "2026-10-08"
        raw["lines"][0]["name"] += " (2027)"
        for shipment in raw["shipments"]:
            shipment["shipped_at"] = "2026-10-06T10:00:00+02:00"
            shipment["delivered_at"] = "2026-10-07T15:00:00+02:00"
    return document


def file_of(*orders: dict) -> dict:
    return {"orders": list(orders)}


@pytest.fixture
def batches_of_three(db, monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)


# --- a bad order among good ones ---------------------------------------------------------------


def test_a_bad_order_in_the_middle_of_a_batch_is_refused_alone(db):
    orders = [order(n) for n in range(7)]
    orders[3]["lines"][1]["unit_price"] = "12,50"

    result = import_orders(file_of(*orders))

    assert result.errors == [
        OrderError("WS-300003", "lines[1].unit_price", '"12,50" is not an amount like "12.50"')
    ]
    assert (result.created, result.failed) == (6, 1)
    assert not Order.objects.filter(number="WS-300003").exists()
    assert not Customer.objects.filter(email="klant3@example.nl").exists()
    assert Order.objects.count() == 6


def test_an_order_that_would_undo_a_return_is_left_out_of_its_batch(support):
    import_orders(file_of(example_order(), order(1), order(2)))
    ticket = services.ticket_create(
        order=Order.objects.get(number="WS-100234"),
        reason="defective",
        lines=[services.LineRequest("2", 1)],
        by=support,
    )
    removing = example_order()
    removing["customer"]["name"] = "Anna de Vries-Jansen"
    removing["lines"] = removing["lines"][:1]
    removing["shipments"][0]["lines"] = {"1": 2}
    removing["discounts"] = []
    removing["payments"] = [{"method": "ideal", "amount": "252.95"}]

    result = import_orders(edited(file_of(order(1), removing, order(2))))

    error = only_error(result)
    assert (error.order, error.field) == ("WS-100234", "lines")
    assert ticket.number in error.message
    assert (result.updated, result.failed) == (2, 1)
    assert Customer.objects.get(email="anna@example.nl").name == "Anna de Vries"
    assert OrderLine.objects.filter(order__number="WS-100234").count() == 2
    assert OrderLine.objects.get(order__number="WS-300001", line_id="1").name == "Switch 1 (2027)"


def test_a_batch_the_database_refuses_is_written_order_by_order(db, monkeypatch):
    """Someone creates a customer the import read as new: the database refuses the batch,
    and written one by one only the orders of that customer are refused."""
    load = shared._SharedRows._load

    def load_then_someone_else_creates_a_customer(self, orders):
        load(self, orders)
        Customer.objects.create(email="klant2@example.nl", name="K", type="consumer", country="NL")

    monkeypatch.setattr(shared._SharedRows, "_load", load_then_someone_else_creates_a_customer)

    result = import_orders(file_of(*(order(n) for n in range(5))))

    assert result.errors == [OrderError("WS-300002", "", DATABASE_CONCURRENT)]
    assert (result.created, result.failed) == (4, 1)
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        "WS-300000",
        "WS-300001",
        "WS-300003",
        "WS-300004",
    ]


def test_a_ticket_opened_while_the_batch_was_planned_refuses_only_its_order(support, monkeypatch):
    """The plan reads without locks; the orders to update are locked and checked before
    the write. A ticket opened in between sends the batch order by order, locked."""
    from orders.importing import writing

    import_orders(file_of(order(1), example_order(), order(2)))
    read = writing._stored_orders
    opened = []

    def read_then_a_ticket_is_opened(numbers, **kwargs):
        found = read(numbers, **kwargs)
        if not opened:
            opened.append(
                services.ticket_create(
                    order=Order.objects.get(number="WS-100234"),
                    reason="defective",
                    lines=[services.LineRequest("1", 2)],
                    by=support,
                )
            )
        return found

    monkeypatch.setattr(writing, "_stored_orders", read_then_a_ticket_is_opened)
    document = edited(file_of(order(1), example_order(), order(2)))
    del document["orders"][1]["shipments"][0]["delivered_at"]  # the parcel is under way after all

    result = import_orders(document)

    error = only_error(result)
    assert (error.order, error.field) == ("WS-100234", "lines[0]")
    assert (
        error.message == 'line "1": delivered quantity 0 is below the 2 already on return tickets'
    )
    assert (result.updated, result.failed) == (2, 1)
    assert OrderLine.objects.get(order__number="WS-100234", line_id="1").delivered_quantity == 2


# --- batches ------------------------------------------------------------------------------------


def test_errors_and_counts_keep_the_files_order_across_batches(batches_of_three):
    orders = [order(n) for n in range(8)]
    orders[1]["lines"][0]["quantity"] = 0
    orders[6]["payments"] = []

    result = import_orders(file_of(*orders))

    assert [(error.order, error.field) for error in result.errors] == [
        ("WS-300001", "lines[0].quantity"),
        ("WS-300006", "payments"),
    ]
    assert (result.created, result.updated, result.unchanged, result.failed) == (6, 0, 0, 2)


def test_customers_and_products_follow_the_newest_order_across_batches(batches_of_three):
    orders = [order(n, email="vaste.klant@example.nl") for n in range(7)]
    for n, raw in enumerate(orders):
        raw["placed_at"] = f"2026-10-0{n + 1}T12:00:00+02:00"
        raw["customer"]["name"] = f"Naam {n}"
        raw["lines"][1]["name"] = f"Cable as of day {n + 1}"
    orders[2]["lines"][1]["sku"] = orders[6]["lines"][1]["sku"]
    newest_first = file_of(*reversed(orders))

    first = import_orders(newest_first)
    again = import_orders(file_of(*orders))

    assert first.created == 7
    assert Customer.objects.get().name == "Naam 6"
    assert Product.objects.get(sku=orders[6]["lines"][1]["sku"]).name == "Cable as of day 7"
    assert (again.unchanged, again.updated) == (7, 0)


def test_a_changed_reimport_marks_the_orders_updated_and_keeps_their_ids(batches_of_three):
    document = file_of(*(order(n) for n in range(5)))
    import_orders(document)
    before = dict(Order.objects.values_list("number", "updated_at"))
    line_ids = sorted(OrderLine.objects.values_list("pk", flat=True))

    result = import_orders(edited(document))

    assert (result.updated, result.unchanged, result.errors) == (5, 0, [])
    after = dict(Order.objects.values_list("number", "updated_at"))
    assert all(after[number] > before[number] for number in before)
    assert sorted(OrderLine.objects.values_list("pk", flat=True)) == line_ids
    assert set(
        OrderLine.objects.filter(line_id="2").values_list("delivered_quantity", flat=True)
    ) == {1}
    assert Shipment.objects.filter(delivered_at__isnull=True).count() == 0
    assert import_orders(edited(document)).unchanged == 5


def test_an_update_writes_empty_values_and_lists_too(batches_of_three):
    import_orders(edited(file_of(order(1), order(2))))
    document = file_of(order(1), order(2))
    document["orders"][0]["lines"][0]["serials"] = ["SN-NEW"]
    document["orders"][1]["lines"][1]["activated_at"] = "2026-10-09T08:00:00Z"

    result = import_orders(document)

    assert result.updated == 2
    assert set(Order.objects.values_list("invoiced_on", flat=True)) == {None}
    line = OrderLine.objects.get(order__number="WS-300001", line_id="1")
    assert (line.serials, line.name) == (["SN-NEW"], "Switch 1")
    assert OrderLine.objects.get(order__number="WS-300002", line_id="2").activated_at.day == 9
    assert import_orders(document).unchanged == 2


def test_it_imports_the_example_of_appendix_a_again_unchanged_among_others(batches_of_three):
    document = file_of(order(1), *appendix_a()["orders"], order(2), order(3))
    import_orders(document)

    result = import_orders(copy.deepcopy(document))

    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 4, [])


# --- queries ------------------------------------------------------------------------------------


def queries(document: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        result = import_orders(copy.deepcopy(document))
    assert not result.errors
    return len(captured.captured_queries)


@pytest.mark.parametrize("kind", ["first import", "unchanged", "every order changed"])
def test_the_queries_of_an_import_do_not_grow_with_its_orders(db, kind):
    """One batch of 60 orders takes as many queries as one of 12: the orders' rows are
    read and written per batch, not per order."""
    counted = {}
    for size in (12, 60):
        document = file_of(*(order(size * 10 + n, shop=f"S{size}-") for n in range(size)))
        if kind != "first import":
            import_orders(copy.deepcopy(document))
        if kind == "every order changed":
            document = edited(document)
        counted[size] = queries(document)

    assert counted[60] == counted[12]
    assert counted[60] <= 30


def test_each_batch_takes_a_bounded_number_of_queries(batches_of_three):
    one_batch = queries(file_of(*(order(n, shop="A-") for n in range(3))))
    four_batches = queries(file_of(*(order(100 + n, shop="B-") for n in range(12))))

    # the customers, vendors and products of the file are read once, for all batches
    assert four_batches <= 4 * one_batch

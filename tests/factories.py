"""Factories for the domain, with traits so related objects stay consistent."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory
from django.contrib.auth.models import Group

from accounts.models import User
from orders.models import (
    Customer,
    Order,
    OrderLine,
    Payment,
    Product,
    Shipment,
    ShipmentLine,
    Vendor,
)
from policies.models import ReturnPolicy

# The shop's timezone: test moments are wall-clock times there (+02:00 until the switch to
# winter time on Sunday 25 October 2026, +01:00 after).
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.nl")
    username = factory.LazyAttribute(lambda u: u.email)
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`UserFactory(role="support")` makes a staff member in that group."""
        if extracted:
            self.is_staff = True
            self.save(update_fields=["is_staff"])
            self.groups.add(Group.objects.get(name=extracted))


# The shop's staff: one persona per role (the fixtures of the same name in tests/conftest.py).
STAFF = {
    "support": "sam.support@webstore4.example",
    "warehouse": "wim.warehouse@webstore4.example",
    "accountant": "ada.accountant@webstore4.example",
}


def staff_member(role: str) -> User:
    """The persona in `role`: Sam (support), Wim (warehouse) or Ada (accountant)."""
    return UserFactory(email=STAFF[role], role=role)


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Vendor {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.LazyAttribute(lambda p: f"Product {p.sku}")
    vendor = factory.SubFactory(VendorFactory)
    price = Decimal("100.00")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.nl")
    name = factory.Sequence(lambda n: f"Customer {n}")
    type = "consumer"
    language = "nl"
    country = "NL"
    user = factory.SubFactory(UserFactory, email=factory.SelfAttribute("..email"))

    class Params:
        business = factory.Trait(type="business", company="Acme BV", vat_number="NL001234567B01")
        partner_ = factory.Trait(type="business", partner=True, company="Partner BV")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"WS-{100000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = dt.datetime(2026, 10, 1, 10, 15, tzinfo=AMSTERDAM)
    invoiced_on = dt.date(2026, 10, 1)
    shipping_method = "standard"
    shipping_price = Decimal("6.95")
    standard_shipping_price = Decimal("6.95")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_id = factory.Sequence(lambda n: str(n + 1))
    product = factory.SubFactory(ProductFactory)
    name = factory.LazyAttribute(lambda line: line.product.name)
    quantity = 1
    unit_price = Decimal("100.00")
    vat_rate = Decimal("21")
    delivered_quantity = factory.LazyAttribute(lambda line: line.quantity)


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    shipped_at = dt.datetime(2026, 10, 2, 9, 0, tzinfo=AMSTERDAM)
    delivered_at = dt.datetime(2026, 10, 3, 14, 0, tzinfo=AMSTERDAM)
    carrier = "PostNL"
    tracking = factory.Sequence(lambda n: f"3SABCD{n:07d}")


def delivered_order(*, lines=((1, "100.00"),), customer=None, **order_fields) -> Order:
    """An order whose lines (quantity, unit price) were all delivered in one shipment."""
    order = OrderFactory(**({"customer": customer} if customer else {}), **order_fields)
    shipment = ShipmentFactory(order=order)
    for index, (quantity, price) in enumerate(lines, start=1):
        line = OrderLineFactory(
            order=order, line_id=str(index), quantity=quantity, unit_price=Decimal(price)
        )
        ShipmentLine.objects.create(shipment=shipment, line=line, quantity=quantity)
    Payment.objects.create(
        order=order,
        method="ideal",
        amount=sum(Decimal(p) * q for q, p in lines) + order.shipping_price,
    )
    return order


def shop_policy(preset: str, **fields) -> ReturnPolicy:
    """Make the migrated `preset` the shop's default policy, with `fields` changed. Saved
    one by one (not `update()`), so that the rules' configuration cache hears of it."""
    for policy in ReturnPolicy.objects.filter(is_default=True):
        policy.is_default = False
        policy.save()
    policy = ReturnPolicy.objects.get(preset=preset)
    policy.is_default = True
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy

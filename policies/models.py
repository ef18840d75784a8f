"""A shop's return policy, editable by staff: the numbers and switches of `Terms`."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from policies.terms import DEFAULT_PRESET, PRESET_NAMES, PRESETS, UNCONFIRMED, Terms

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


def _days(verbose_name, default, **kwargs):
    return models.PositiveSmallIntegerField(verbose_name, default=default, **kwargs)


def _percent(verbose_name, default):
    return models.DecimalField(
        verbose_name, max_digits=5, decimal_places=2, default=Decimal(default), validators=PERCENT
    )


class ReturnPolicy(models.Model):
    """Every number and switch of a shop's return policy, editable by staff.

    Mirrors `policies.terms.Terms` field for field; `terms()` hands the values to the rules.
    """

    preset = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default policy"), default=False)
    # The preset's numbers that are not in the shop's documents (`terms.UNCONFIRMED`).
    defaults_confirmed = models.BooleanField(
        _("the shop confirmed Retour's default numbers"),
        default=False,
        help_text=_(
            "Some numbers of the presets are not in the shop's documents; tick this once "
            "the shop has confirmed or changed each of them."
        ),
    )

    withdrawal_days = _days(
        _("withdrawal period (days)"), 14, validators=[MinValueValidator(14)]
    )  # W1, W10: never less than the statutory 14
    offers_order_error = models.BooleanField(_("offers order-error returns"), default=False)
    order_error_days = _days(_("order-error window (days)"), 30)
    order_error_restocking_percent = _percent(_("order-error restocking fee (%)"), "0")
    offers_delivery_error = models.BooleanField(_("offers delivery-error returns"), default=True)
    delivery_error_days = _days(_("delivery-error window (days)"), 30)
    offers_defective = models.BooleanField(_("offers warranty returns"), default=True)
    offers_dead_on_arrival = models.BooleanField(_("offers dead-on-arrival returns"), default=True)
    doa_days = models.PositiveSmallIntegerField(
        _("dead-on-arrival window (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: the vendor's window."),
    )
    offers_damaged_in_transit = models.BooleanField(
        _("offers transit-damage returns"), default=True
    )
    damaged_in_transit_days = _days(_("transit-damage report window (days)"), 7)
    strict_ineligibility = models.BooleanField(_("strict ineligibility list (R11)"), default=False)
    transaction_fee_percent = _percent(_("transaction fee (%)"), "0")
    store_credit_by_choice = models.BooleanField(
        _("store credit at the customer's choice"), default=False
    )
    hourly_rate = models.DecimalField(
        _("hourly IT rate"), max_digits=8, decimal_places=2, default=Decimal("75.00")
    )
    partner_restocking = models.BooleanField(_("partner restocking (P1)"), default=False)
    partner_restocking_months = _days(_("partner restocking window (months)"), 2)
    partner_restocking_percent = _percent(_("partner restocking fee (%)"), "20")
    partner_credit_valid_months = _days(_("partner store credit valid (months)"), 12)
    store_credit_valid_months = _days(_("store credit valid (months)"), 24)
    business_only = models.BooleanField(_("business customers only"), default=False)
    legal_guarantee_months = _days(
        _("legal guarantee (months)"), 24, validators=[MinValueValidator(24)]
    )  # R14: at least two years
    response_days = _days(_("response time (days)"), 2)
    ship_reminder_days = _days(_("remind to ship after (days)"), 7)
    authorization_valid_days = _days(_("authorization valid (days)"), 30)
    tracking_reminder_days = _days(_("remind for tracking after (days)"), 3)
    refund_alert_days = _days(_("alert accountants before refund deadline (days)"), 3)
    store_credit_notice_days = _days(_("store credit expiry notice (days)"), 30)

    class Meta:
        ordering = ["preset"]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def terms(self) -> Terms:
        return Terms(
            preset=self.preset, **{name: getattr(self, name) for name in Terms.field_names()}
        )

    def unconfirmed_fields(self) -> list[str]:
        """The numbers of this policy's preset that the shop has yet to confirm."""
        if self.defaults_confirmed:
            return []
        return sorted(UNCONFIRMED.get(self.preset, ()))

    @classmethod
    def default(cls) -> ReturnPolicy:
        return cls.objects.get(is_default=True)

    @classmethod
    def ensure_presets(cls) -> None:
        """Create the preset policies that are missing (the data migration's job, again
        after a test flushed the tables); webstore4 is the default."""
        for preset in PRESETS:
            if not cls.objects.filter(preset=preset).exists():
                policy = cls.from_preset(preset)
                policy.is_default = preset == DEFAULT_PRESET
                policy.save()

    @classmethod
    def from_preset(cls, preset: str) -> ReturnPolicy:
        """An unsaved policy with a preset's values."""
        terms = PRESETS[preset]
        return cls(
            preset=preset,
            name=PRESET_NAMES[preset],
            **{name: getattr(terms, name) for name in Terms.field_names()},
        )


class LegalHoliday(models.Model):
    """A day the law of a country counts as a holiday beyond its fixed list (W2): in the
    Netherlands the days the government equates with one by decree (Atw art. 3(3),
    published in the Staatscourant). Shipped with the published ones; staff add new ones."""

    country = models.CharField(_("country"), max_length=2, default="NL")
    day = models.DateField(_("day"))
    name = models.CharField(_("what it is"), max_length=120)
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("E.g. the Staatscourant issue.")
    )

    class Meta:
        ordering = ["country", "day"]
        verbose_name = _("legal holiday")
        verbose_name_plural = _("legal holidays")
        constraints = [
            models.UniqueConstraint(fields=["country", "day"], name="legal_holiday_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.day.isoformat()} {self.name}"

"""F6: check an IBAN before a refund is sent to it (ISO 13616: country, length, mod 97).

Pure. A typo in an IBAN fails the checksum in all but about one case in a hundred, so a
refund is not sent to a stranger's account or bounced days later for a slip of a key.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# The SEPA countries' IBAN lengths (the SWIFT IBAN registry).
LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip


class IbanError(ValueError):
    """An IBAN that cannot be right; the message says why, for the person who typed it."""


def normalized_iban(text: str) -> str:
    """Return `text` as an IBAN without spaces, upper case, or raise `IbanError`."""
    iban = "".join(text.split()).upper()
    country = iban[:2]
    if country not in LENGTHS:
        raise IbanError(_("An IBAN starts with the code of a SEPA country, such as NL."))
    if len(iban) != LENGTHS[country] or not iban.isalnum():
        raise IbanError(
            _("An IBAN from %(country)s has %(length)d letters and digits.")
            % {"country": country, "length": LENGTHS[country]}
        )
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise IbanError(_("This IBAN has a typing error: its check digits do not match."))
    return iban


def formatted_iban(iban: str) -> str:
    """The IBAN in groups of four, as printed on cards and statements."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))

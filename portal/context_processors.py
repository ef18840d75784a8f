"""What every page of the public site shows of the shop: its name, contact and legal address."""

from django.conf import settings
from django.http import HttpRequest


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\\n", "\n").splitlines() if part.strip()]


def shop(request: HttpRequest) -> dict:
    return {
        "shop": {
            "name": settings.SHOP_NAME,
            "email": settings.SHOP_CONTACT_EMAIL,
            "phone": settings.SHOP_PHONE,
            "legal_address": _lines(settings.SHOP_LEGAL_ADDRESS),
            "return_address": _lines(settings.SHOP_RETURN_ADDRESS),
            "chamber_of_commerce": settings.SHOP_CHAMBER_OF_COMMERCE,
        }
    }

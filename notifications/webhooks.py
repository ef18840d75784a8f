"""The provider tells us about bounces and complaints through anymail's tracking webhook.

anymail verifies the request (basic auth with ANYMAIL_WEBHOOK_SECRET) and normalizes
each provider's payload into a `tracking` signal; this is the provider's signal, not a
business flow hidden in signals: the receiver calls one service.
"""

from anymail.signals import tracking
from django.dispatch import receiver
from django.utils import timezone

from notifications.services import email_bounced

# Events after which the address should not be trusted to reach the customer.
BOUNCING_EVENTS = {"bounced", "rejected", "complained"}


@receiver(tracking, dispatch_uid="notifications.bounces")
def tracking_event_received(sender, event, esp_name, **kwargs) -> None:
    if event.event_type in BOUNCING_EVENTS and event.recipient:
        email_bounced(address=event.recipient, at=event.timestamp or timezone.now())

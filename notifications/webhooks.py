"""The provider tells us about bounces and complaints through anymail's tracking webhook.

anymail verifies the request (basic auth with ANYMAIL_WEBHOOK_SECRET) and normalizes
each provider's payload into a `tracking` signal; this is the provider's signal, not a
business flow hidden in signals: the receiver calls one service.
"""

from anymail.signals import tracking
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from notifications.services import email_bounced

# The tracking webhook of each provider Retour can send through (settings.EMAIL_PROVIDER).
TRACKING_VIEWS = {
    "postmark": PostmarkTrackingWebhookView.as_view(),
    "mailgun": MailgunTrackingWebhookView.as_view(),
    "sendgrid": SendGridTrackingWebhookView.as_view(),
    "brevo": BrevoTrackingWebhookView.as_view(),
    "amazon_ses": AmazonSESTrackingWebhookView.as_view(),
}


@csrf_exempt
def tracking_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """The configured provider's tracking webhook, and only that one: another provider's
    address, or any while no webhook secret is set (anyone could call it), is not found.
    anymail checks the secret (basic auth) and answers an unsigned call 400."""
    view = TRACKING_VIEWS.get(provider)
    if (
        view is None
        or provider != settings.EMAIL_PROVIDER
        or not settings.ANYMAIL.get("WEBHOOK_SECRET")
    ):
        raise Http404
    return view(request)


# Events after which the address should not be trusted to reach the customer.
BOUNCING_EVENTS = {"bounced", "rejected", "complained"}


@receiver(tracking, dispatch_uid="notifications.bounces")
def tracking_event_received(sender, event, esp_name, **kwargs) -> None:
    if event.event_type in BOUNCING_EVENTS and event.recipient:
        email_bounced(address=event.recipient, at=event.timestamp or timezone.now())

"""The provider tells us about bounces and complaints through anymail's tracking webhook.

anymail verifies the request (basic auth with ANYMAIL_WEBHOOK_SECRET) and normalizes
each provider's payload into a `tracking` signal; this is the provider's signal, not a
business flow hidden in signals: the receiver calls one service.
"""

from anymail.signals import tracking
from anymail.utils import get_request_basic_auth
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
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
    address, or any while no webhook secret is set (anyone could call it), is not found;
    a call without the secret (basic auth) is unauthorized before anything is read."""
    view = TRACKING_VIEWS.get(provider)
    secret = settings.ANYMAIL.get("WEBHOOK_SECRET")
    if view is None or provider != settings.EMAIL_PROVIDER or not secret:
        raise Http404
    secrets = [secret] if isinstance(secret, str) else list(secret)
    given = get_request_basic_auth(request) or ""
    if not any(constant_time_compare(given, known) for known in secrets):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="Retour e-mail webhook"'
        return response
    return view(request)


# Events after which the address should not be trusted to reach the customer.
BOUNCING_EVENTS = {"bounced", "rejected", "complained"}


@receiver(tracking, dispatch_uid="notifications.bounces")
def tracking_event_received(sender, event, esp_name, **kwargs) -> None:
    if event.event_type in BOUNCING_EVENTS and event.recipient:
        email_bounced(address=event.recipient, at=event.timestamp or timezone.now())

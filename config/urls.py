from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.forms import EmailAdminAuthenticationForm
from backoffice import dashboard
from config.api import api
from notifications.webhooks import tracking_webhook
from portal import account as portal_account
from refunds import admin_exports
from rma import views as rma_views

admin.site.site_header = _("Retour — returns desk")
admin.site.site_title = _("Retour")
admin.site.index_title = _("Back office")
admin.site.login_form = EmailAdminAuthenticationForm

urlpatterns = [
    # The staff dashboard (issue 16 §7), behind the admin's login, in the admin's look.
    path("admin/dashboard/", dashboard.dashboard, name="backoffice_dashboard"),
    # The accountants' bookkeeping exports (issue 18), in the admin's look.
    path("admin/refunds/exports/", admin_exports.exports, name="refunds_exports"),
    path(
        "admin/refunds/export-files/<int:pk>/",
        admin_exports.export_file_download,
        name="refunds_export_file",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("tickets/<str:number>/label.pdf", rma_views.label_download, name="ticket_label"),
    path(
        "tickets/<str:number>/withdrawal-form.pdf",
        rma_views.withdrawal_form_download,
        name="ticket_withdrawal_form",
    ),
    # A customer's photo or document: to the ticket's owner and staff only (else 404).
    path("attachments/<uuid:key>/", rma_views.attachment_download, name="ticket_attachment"),
    # The configured e-mail provider's bounce webhook (notifications), no other.
    path("anymail/<str:provider>/tracking/", tracking_webhook, name="email_tracking_webhook"),
    # The language switch of the public site (Django's set_language, POST only), which
    # also keeps a logged-in customer's choice on their profile.
    path("i18n/setlang/", portal_account.set_language, name="set_language"),
    # The public site: the withdrawal function (art. 11a) and the status pages.
    path("", include("portal.urls")),
]

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from config.api import api

admin.site.site_header = _("Retour — returns desk")
admin.site.site_title = _("Retour")
admin.site.index_title = _("Back office")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("anymail/", include("anymail.urls")),  # provider webhooks: bounces (notifications)
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]

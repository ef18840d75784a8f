from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("anymail/", include("anymail.urls")),  # provider webhooks: bounces (notifications)
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]

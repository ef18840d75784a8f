from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("withdraw/confirm/", views.withdraw_confirm, name="withdraw_confirm"),
    path("withdraw/form.pdf", views.withdrawal_form_prefilled, name="withdrawal_form_prefilled"),
    path("withdrawal-form.pdf", views.withdrawal_form_blank, name="withdrawal_form"),
    path("other-returns/", views.other_returns, name="other_returns"),
    # Signed, expiring links from the e-mails (rma.links): no guessable address.
    path("status/<str:token>/", views.ticket_status_signed, name="ticket_status"),
    path("status/<str:token>/label.pdf", views.ticket_label_signed, name="ticket_label"),
    # The same pages for their owner, logged in.
    path("my/returns/<str:number>/", views.ticket_status_owned, name="my_ticket"),
    path("my/returns/<str:number>/label.pdf", views.ticket_label_owned, name="my_ticket_label"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="portal/login.html",
            authentication_form=views.EmailAuthenticationForm,
            next_page=reverse_lazy("portal:withdraw"),
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:home")),
        name="logout",
    ),
]

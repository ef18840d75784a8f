"""The public site's addresses: the withdrawal function and status pages (views), the
customers' accounts (account), their orders and returns (returns) and tickets (tickets).
Every address with an object in it answers 404 to anyone but its owner
(tests/portal/test_ownership.py walks them all)."""

from django.urls import path

from portal import account, returns, tickets, views

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
    *account.urlpatterns,
    *returns.urlpatterns,
    *tickets.urlpatterns,
]

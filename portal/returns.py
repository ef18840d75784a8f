"""A customer's orders and returns: what each line can still be returned for, and filing
a return request (RMA)."""

from __future__ import annotations

urlpatterns: list = []

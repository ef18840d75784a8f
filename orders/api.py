"""The orders part of the JSON API: the order import (SPEC Appendix A)."""

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from accounts.api_auth import API_ERRORS, FORBIDDEN, ValidationErrors, staff_token
from orders.importing import ImportFormatError, ImportNotJSON, import_orders_json

router = Router(tags=["orders"])

# Importing both creates and updates orders, so it takes both permissions (a superuser
# has every permission; the support, warehouse and accountant roles have neither).
IMPORT_PERMISSIONS = ("orders.add_order", "orders.change_order")


class OrderErrorOut(Schema):
    order: str
    field: str
    message: str


class ImportResultOut(Schema):
    created: int
    updated: int
    unchanged: int
    errors: list[OrderErrorOut]


class DetailOut(Schema):
    detail: str


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["orders"],
                    "properties": {
                        "orders": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": "Orders in the format of docs/order-import.md.",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/import",
    auth=staff_token,
    response={
        **API_ERRORS,
        200: ImportResultOut,
        400: DetailOut,
        403: DetailOut,
        413: DetailOut,
        422: ImportResultOut | DetailOut | ValidationErrors,
    },
    openapi_extra=_IMPORT_BODY,
    summary="Import orders",
)
def import_orders_view(request):
    """Create or update the orders of `{"orders": [...]}`, each on its own.

    200: every order was imported, or at least one was and the others are listed in
    `errors`. 422: orders were sent and none was imported (with `errors`), or the body is
    not `{"orders": [...]}` (with `detail`). 400: the body is not JSON. 403: the token's
    user may not import orders. 413: the body is larger than the server accepts.
    """
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        return Status(403, {"detail": str(FORBIDDEN)})
    try:
        body = request.body
    except RequestDataTooBig:
        return Status(
            413, {"detail": _("The body is too large; send the orders in smaller files.")}
        )
    try:
        result = import_orders_json(body)
    except ImportNotJSON as exc:
        return Status(400, {"detail": str(exc)})
    except ImportFormatError as exc:
        return Status(422, {"detail": str(exc)})
    status = 422 if result.errors and not result.imported else 200
    return Status(status, result.as_dict())

"""The JSON API at /api/v1/ (django-ninja; the OpenAPI schema is at /api/v1/openapi.json)."""

from ninja import NinjaAPI

api = NinjaAPI(title="Retour API", version="1", urls_namespace="api")
api.add_router("/orders", "orders.api.router")
api.add_router("/", "refunds.api.router")

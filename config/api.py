"""The JSON API at /api/v1/ (django-ninja; the OpenAPI schema is at /api/v1/openapi.json)."""

from ninja import NinjaAPI

from accounts.api_auth import token_rate_limit

# Every operation: at most so many requests a minute per API token (429 with Retry-After).
api = NinjaAPI(title="Retour API", version="1", urls_namespace="api", throttle=[token_rate_limit])
api.add_router("/orders", "orders.api.router")
api.add_router("/", "refunds.api.router")

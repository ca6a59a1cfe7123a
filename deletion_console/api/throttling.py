"""Deletion requests per service account: a runaway client cannot flood the queue."""

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle

from deletion_console.models import ServiceAccount


class ServiceTokenRequestThrottle(SimpleRateThrottle):
    """POSTs and DELETEs (the requests that create or cancel jobs) per token, at
    `API_SERVICE_REQUEST_RATE`; people in a session are not throttled."""

    scope = "service-requests"
    methods = ("POST", "DELETE")

    def __init__(self):
        # Shared by every web process (a per-process cache would multiply the rate by their number).
        self.cache = caches[settings.API_THROTTLE_CACHE]
        super().__init__()

    def get_rate(self):
        # Read per request rather than at import, so that settings overrides apply.
        return settings.API_SERVICE_REQUEST_RATE

    def get_cache_key(self, request, view):
        if request.method not in self.methods or not isinstance(request.auth, ServiceAccount):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}

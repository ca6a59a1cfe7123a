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
        if _route(request) in BACKGROUND_PREVIEW_ROUTES:
            return None  # a preview, throttled as one (PreviewThrottle)
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


# The routes whose GET counts every entity of a target in every store (the API's previews).
PREVIEW_ROUTES = {"api:target-preview", "api:campaign-preview", "api:v1-tenant-preview"}
# ...and whose POST has the workers count many targets.
BACKGROUND_PREVIEW_ROUTES = {"api:previews"}


def _route(request) -> str | None:
    return getattr(request.resolver_match, "view_name", None)


class PreviewThrottle(SimpleRateThrottle):
    """Previews per caller, at `API_PREVIEW_RATE`: each counts a target's data in every store, so
    a loop of them loads the platform's stores. Counted per token for a service account and per
    user for a person (the API's previews and the confirm page share a person's count), in the
    cache every web process shares."""

    scope = "previews"

    def __init__(self):
        self.cache = caches[settings.API_THROTTLE_CACHE]
        super().__init__()

    def get_rate(self):
        return settings.API_PREVIEW_RATE

    def get_cache_key(self, request, view):
        if view is not None:
            routes = {"GET": PREVIEW_ROUTES, "POST": BACKGROUND_PREVIEW_ROUTES}.get(request.method, set())
            if _route(request) not in routes:
                return None
        elif request.method != "GET":
            return None
        if isinstance(getattr(request, "auth", None), ServiceAccount):
            ident = f"token-{request.auth.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # refused anyway: previews need a signed-in caller
        return self.cache_format % {"scope": self.scope, "ident": ident}


def allow_page_preview(request) -> tuple[bool, float | None]:
    """Whether a person's confirm page may preview now, and if not, how many seconds to wait."""
    throttle = PreviewThrottle()
    return throttle.allow_request(request, None), throttle.wait()

"""Who may read the console's operational figures: /metrics, and the details of /health/ready/."""

import hmac
import ipaddress

from django.conf import settings


def bearer_token(request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def has_metrics_token(request) -> bool:
    token = bearer_token(request)
    expected = settings.METRICS_TOKEN
    # Constant time: the token is a shared secret, compared on every scrape.
    return bool(expected and token and hmac.compare_digest(token.encode(), expected.encode()))


def client_allowed(request) -> bool:
    """REMOTE_ADDR only: a forwarded-for header is the caller's to write."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


def may_see_details(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff) or has_metrics_token(request)

from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from deletion_console.monitoring.access import bearer_token, client_allowed, has_metrics_token
from deletion_console.monitoring.collectors import deletion_registry


@never_cache
def metrics(request):
    """Prometheus text format: the web process's own metrics (django-prometheus), then the
    deletion metrics. For the metrics token, or a client on METRICS_ALLOWED_IPS."""
    if not (has_metrics_token(request) or client_allowed(request)):
        if bearer_token(request):
            return HttpResponse("Forbidden: that is not the metrics token.\n", status=403, content_type="text/plain")
        response = HttpResponse("Unauthorized: send the metrics token as a bearer token.\n", status=401)
        response["Content-Type"] = "text/plain"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body = generate_latest(REGISTRY) + generate_latest(deletion_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)

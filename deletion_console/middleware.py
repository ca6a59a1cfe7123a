"""Request-scoped log fields: a request id on every line of a request, and the job's id on every
line of a request about one job (any view whose URL names a `job_id`); and the 503 answer to a
request that met an outage."""

import logging
import re
import sys
import uuid

from django.core.signals import got_request_exception
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from deletion_console import logcontext
from deletion_console.stores import errors

log = logging.getLogger(__name__)
# A restarted server is usually back within a minute; clients that honour it wait that long.
RETRY_AFTER_SECONDS = 60

# A caller's (or proxy's) id is kept only if it looks like one: it is copied into log lines.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class LogContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        # Fresh for each request: a thread serving many must not carry one's job into the next.
        with logcontext.isolated(), logcontext.bound(request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if "job_id" in view_kwargs:
            logcontext.bind(job_id=view_kwargs["job_id"])


class ServiceUnavailableMiddleware:
    """An outage (a server the console needs is unreachable) answers 503 with what to do, not a
    traceback: a page for people, the API's error body for programs. Whether an error is an
    outage, and of which server, is the stores' classification (stores.errors), the same the
    engine retries by."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # An outage met by a middleware below this one (the sessions saving to the console
        # database, say) never reaches process_exception: Django has already made it a 500.
        outage = getattr(request, _OUTAGE, None)
        if outage is not None and response.status_code == 500:
            return service_unavailable(request, outage)
        return response

    def process_exception(self, request, exception):
        if not errors.is_transient(exception):
            return None
        return service_unavailable(request, exception)


_OUTAGE = "_service_outage"


def _note_outage(sender, request=None, **kwargs):
    # Sent while Django handles the exception, so it is still the one being handled.
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and errors.is_transient(exc):
        setattr(request, _OUTAGE, exc)


got_request_exception.connect(_note_outage, dispatch_uid="deletion_console.middleware.note_outage")


def service_unavailable(request, exc) -> HttpResponse:
    service = errors.unreachable_service(exc)
    detail = (
        f"{service[0].upper()}{service[1:]} is unreachable."
        if service
        else "A server the console needs is unreachable."
    )
    log.warning("503 for %s %s: %s", request.method, request.path, errors.describe(exc))
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": f"{detail} Retry in a minute.", "code": "service_unavailable"}, status=503)
    else:
        # Rendered without the request's context processors: they read the user, from the console
        # database, which may be the very server that is down.
        html = render_to_string("503.html", {"detail": detail, "request_path": request.get_full_path()})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response

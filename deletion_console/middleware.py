"""Request-scoped log fields: a request id on every line of a request, and the job's id on every
line of a request about one job (any view whose URL names a `job_id`)."""

import re
import uuid

from deletion_console import logcontext

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

"""The API's one exception handler: a service's refusal becomes its response, with the status
and body the refusal declares (services.errors), so no view translates refusals itself."""

from rest_framework.response import Response
from rest_framework.views import exception_handler

from deletion_console.api.serializers import preview_data
from deletion_console.services.errors import DeletionRefused, PreviewChanged


def handle(exc, context):
    if not isinstance(exc, DeletionRefused):
        return exception_handler(exc, context)
    body = exc.body()
    if isinstance(exc, PreviewChanged):
        # What the data is now, with a new token, so the caller can review and confirm again.
        body["preview"] = preview_data(exc.current)
    return Response(body, status=exc.http_status)

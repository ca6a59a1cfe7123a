"""A URL under /api/ that matches no route (a malformed job id, say), or that names an id no
store could hold, answers in JSON too."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from deletion_console.identifiers import InvalidId


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    # Only our own reasons are shown: others (a disallowed host, say) may echo configuration.
    reason = str(exception) if isinstance(exception, InvalidId) else "The request was malformed."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": reason}, status=400)
    return render(request, "400.html", {"reason": reason}, status=400)

"""What a caller django-axes has locked out is told: how long the lock lasts, in JSON on the API
and as a page elsewhere (AXES_LOCKOUT_CALLABLE)."""

import math

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

TOO_MANY = 429


def locked_out(request, original_response=None, credentials=None):
    seconds = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds()) if settings.AXES_COOLOFF_TIME else None
    message = "Too many failed sign-ins from this account or address: signing in is locked"
    message += f" for {_minutes(seconds)}." if seconds else " until an administrator unlocks it."
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=TOO_MANY)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=TOO_MANY)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"

"""Target ids as callers send them, checked where they come in (URLs, forms, API bodies): an id
with a NUL byte or another control character, or longer than any store keeps, is refused with a
400 before it reaches a database (PostgreSQL cannot even bind a NUL)."""

import unicodedata

from django.core.exceptions import BadRequest
from django.urls import register_converter

MAX_LENGTH = 255
# Cc: C0 and C1 controls and DEL (NUL among them); Cs: lone surrogates, which no store can encode.
REFUSED_CATEGORIES = {"Cc", "Cs"}


class InvalidId(BadRequest):
    """Django answers it with handler400: JSON under /api/, the 400 page elsewhere."""


def problem(value: str) -> str | None:
    """Why `value` cannot be a target's id, or None if it can."""
    if len(value) > MAX_LENGTH:
        return f"An id has at most {MAX_LENGTH} characters; this one has {len(value)}."
    if any(unicodedata.category(char) in REFUSED_CATEGORIES for char in value):
        return "An id cannot contain NUL bytes or other control characters."
    return None


def check(value: str) -> str:
    if (reason := problem(value)) is not None:
        raise InvalidId(reason)
    return value


class TargetIdConverter:
    """`<target_id:name>` in a route: any path segment, as `str` takes, checked on the way in. A
    refused id stops the resolution with InvalidId (400) rather than matching nothing (404)."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return check(value)

    def to_url(self, value: str) -> str:
        return value


register_converter(TargetIdConverter, "target_id")

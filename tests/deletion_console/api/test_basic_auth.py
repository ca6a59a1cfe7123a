"""Basic auth on the API goes through django-axes too: guessing is locked out like on the sign-in page."""

import base64

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from tests.factories import PASSWORD, viewer

pytestmark = pytest.mark.django_db


def basic(username, password, address="10.0.0.9"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{username}:{password}".encode()).decode())
    return client


def test_wrong_basic_auth_passwords_lock_out_and_then_the_right_one_is_refused_too(settings):
    viewer(username="dana")
    limit = settings.AXES_FAILURE_LIMIT

    answers = [basic("dana", f"guess-{n}").get("/api/deletions/").status_code for n in range(limit)]
    locked = basic("dana", PASSWORD).get("/api/deletions/")

    assert answers == [401] * (limit - 1) + [429]
    assert locked.status_code == 429 and "signing in is locked" in locked.json()["detail"]
    assert locked["Retry-After"]
    assert AccessAttempt.objects.get(username="dana").failures_since_start == limit + 1  # the refused one too


def test_one_address_guessing_many_usernames_is_locked_out(settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        basic(f"user-{n}", "guess").get("/api/deletions/")
    viewer(username="dana")

    assert basic("dana", PASSWORD, address="10.0.0.9").get("/api/deletions/").status_code == 429
    # Signed in from elsewhere: refused only for what a viewer may not do.
    assert basic("dana", PASSWORD, address="10.0.0.10").get("/api/deletions/").status_code == 403

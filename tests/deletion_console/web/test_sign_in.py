"""Password guessing on the sign-in page is counted per username and per address (django-axes)."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from tests.factories import PASSWORD, viewer

pytestmark = pytest.mark.django_db


def sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_wrong_passwords_lock_the_username_out_even_with_the_right_one(settings):
    viewer(username="dana")
    client = Client()

    answers = [sign_in(client, "dana", f"guess-{n}").status_code for n in range(settings.AXES_FAILURE_LIMIT)]
    locked = sign_in(client, "dana", PASSWORD)

    assert answers[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form again, with its error
    assert answers[-1] == 429 and locked.status_code == 429
    assert "Signing in is locked" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_username_and_per_address(settings):
    viewer(username="dana")
    viewer(username="eve")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), "dana", f"guess-{n}", address="10.0.0.1")

    # Another address is refused for the locked username; another username is refused from the address.
    assert sign_in(Client(), "dana", PASSWORD, address="10.0.0.2").status_code == 429
    assert sign_in(Client(), "eve", PASSWORD, address="10.0.0.1").status_code == 429
    assert sign_in(Client(), "eve", PASSWORD, address="10.0.0.3").status_code == 302  # signed in


def test_staff_see_the_failures_in_the_admin(settings):
    viewer(username="dana")
    for n in range(2):
        sign_in(Client(), "dana", f"guess-{n}")
    admin = Client()
    admin.force_login(viewer(username="root", is_staff=True, is_superuser=True))

    attempt = AccessAttempt.objects.get(username="dana")
    assert attempt.failures_since_start == 2 and attempt.ip_address == "10.0.0.1"
    assert AccessFailureLog.objects.filter(username="dana").count() == 2
    assert admin.get("/admin/axes/accessattempt/").status_code == 200
    assert "dana" in admin.get("/admin/axes/accessfailurelog/").content.decode()


def test_a_right_password_before_the_limit_clears_the_count(settings):
    viewer(username="dana")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), "dana", f"guess-{n}")

    assert sign_in(Client(), "dana", PASSWORD).status_code == 302
    assert sign_in(Client(), "dana", "guess-again").status_code == 200  # counted from zero again

"""Password reset pages exist only when a mail backend that really sends is configured."""

import importlib

import pytest
from django.urls import clear_url_caches

from deletion_console.config import urls

pytestmark = pytest.mark.django_db

RESET_PAGES = ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/"]


@pytest.fixture
def routes_for(settings):
    """The URLs as they are built for the settings given."""

    def build(**overrides):
        for name, value in overrides.items():
            setattr(settings, name, value)
        importlib.reload(urls)
        clear_url_caches()

    yield build
    settings.PASSWORD_RESET_ENABLED = False
    importlib.reload(urls)
    clear_url_caches()


def test_without_mail_configured_no_reset_page_is_routed_and_an_anonymous_post_is_a_404(client):
    assert client.post("/accounts/password_reset/", {"email": "dana@example.test"}).status_code == 404
    assert all(client.get(page).status_code == 404 for page in RESET_PAGES)
    assert client.get("/accounts/login/").status_code == 200  # signing in is unaffected


def test_with_a_sending_backend_the_reset_pages_are_routed(client, routes_for):
    routes_for(PASSWORD_RESET_ENABLED=True)

    assert client.get("/accounts/password_reset/").status_code == 200
    assert client.post("/accounts/password_reset/", {"email": "nobody@example.test"}).status_code == 302

"""The confirm page's preview is throttled per person, as the API's previews are."""

import pytest

from tests.factories import deleter

pytestmark = pytest.mark.django_db


def test_opening_confirm_pages_beyond_the_rate_gets_a_readable_429(client, settings):
    settings.API_PREVIEW_RATE = "2/min"
    client.force_login(deleter(username="dana"))

    answers = [client.get(f"/campaigns/nope-{n}/delete/").status_code for n in range(2)]
    throttled = client.get("/campaigns/nope-3/delete/")

    assert 429 not in answers
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "Too many previews" in throttled.content.decode()

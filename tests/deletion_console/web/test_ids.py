"""Ids no store could hold are refused with a readable 400 page on every page that takes a target's id."""

import pytest

from tests.factories import deleter

pytestmark = pytest.mark.django_db

ENCODED = {"nul": "a%00b", "control": "a%1Bb", "too-long": "c" * 256}


@pytest.fixture
def dana(client):
    client.force_login(deleter(username="dana"))
    return client


@pytest.mark.parametrize("bad", ENCODED, ids=list(ENCODED))
@pytest.mark.parametrize("section", ["campaigns", "tenants"])
def test_the_confirm_page_refuses_a_bad_id_with_a_readable_400(dana, section, bad):
    response = dana.get(f"/{section}/{ENCODED[bad]}/delete/")

    assert response.status_code == 400
    assert "This address cannot be right" in response.content.decode()


@pytest.mark.parametrize("bad", ENCODED, ids=list(ENCODED))
def test_the_bulk_page_refuses_a_bad_id_ticked_or_posted(dana, bad):
    shown = dana.get(f"/campaigns/bulk/delete/?ids=ok&ids={ENCODED[bad]}")
    posted = dana.post("/campaigns/bulk/delete/", {"target": ["ok", "a\x00b"], "confirm_count": "2"})

    assert shown.status_code == 400 and "characters" in shown.content.decode()
    assert posted.status_code == 400 and "control characters" in posted.content.decode()

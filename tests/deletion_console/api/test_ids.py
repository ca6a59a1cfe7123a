"""Ids no store could hold (a NUL byte, a control character, too long) are refused with a 400 and
a message on every API route that takes a target's id, before any database sees them."""

import pytest
from rest_framework.test import APIClient

from tests.factories import deleter

pytestmark = pytest.mark.django_db

BAD_IDS = {"nul": "a\x00b", "control": "a\x07b", "delete-char": "a\x7fb", "too-long": "c" * 256}
# Percent-encoded, as a client sends them in a path.
ENCODED = {"nul": "a%00b", "control": "a%07b", "delete-char": "a%7Fb", "too-long": "c" * 256}
ROUTES = [
    ("get", "/api/targets/campaign/{id}/preview/"),
    ("get", "/api/targets/tenant/{id}/preview/"),
    ("get", "/api/campaigns/{id}/preview/"),
    ("post", "/api/v1/delete/campaign/{id}"),
    ("get", "/api/v1/tenant/{id}/deletion-preview"),
    ("delete", "/api/v1/tenant/{id}"),
]


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(deleter(username="dana"))
    return client


@pytest.mark.parametrize("bad", ENCODED, ids=list(ENCODED))
@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_a_bad_id_in_the_path_is_a_400_with_a_message(api, method, route, bad):
    response = getattr(api, method)(route.format(id=ENCODED[bad]), format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "id" in response.json()["detail"]


@pytest.mark.parametrize("bad", BAD_IDS, ids=list(BAD_IDS))
def test_a_bad_id_in_a_deletion_request_is_a_400_naming_the_field(api, bad):
    body = {"kind": "campaign", "target_id": BAD_IDS[bad], "confirm_name": "x"}

    single = api.post("/api/deletions/", body, format="json")
    bulk = api.post("/api/deletions/", [body], format="json")

    assert single.status_code == 400 and "target_id" in single.json()
    assert bulk.status_code == 400


def test_an_anonymous_caller_gets_the_400_too_and_never_a_500():
    assert APIClient().delete("/api/v1/tenant/a%00b").status_code == 400

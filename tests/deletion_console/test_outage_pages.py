"""A request that meets an outage, with the real server stopped: a readable 503 that names the
server and says what to do, for pages and for the API, never a traceback."""

import pytest
from django.db import connections
from django.test import Client

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.devtools.drills import stack
from tests.factories import deleter, succeeded_job

# Like the failure tests: they stop real servers, so they stay out of the quick selections.
pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]


class stopped:
    """One server down for the block, and the whole stack up again after it, whatever happened."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        stack("down", self.server)

    def __exit__(self, *exc):
        stack("up")
        # This thread's connections died with the server: the teardown must open new ones.
        connections.close_all()


@pytest.fixture
def client():
    # A browser never sees the exception; the test client would raise it again once a middleware
    # below ours met it, even though the answer the browser gets is our 503.
    client = Client(raise_request_exception=False)
    client.force_login(deleter())
    return client


def assert_page_503(response, server):
    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "60"
    text = response.content.decode()
    assert f"{server} is unreachable" in text
    assert "Retry in a minute" in text and "Traceback" not in text


def assert_api_503(response, server):
    assert response.status_code == 503, response.content[:500]
    assert response["Retry-After"] == "60"
    assert response.json() == {
        "detail": f"{server} is unreachable. Retry in a minute.",
        "code": "service_unavailable",
    }


def test_console_database_down_answers_503_for_pages_the_api_and_a_session_saved_by_middleware(client, settings):
    job = succeeded_job()
    # The session saved on the way out, by the sessions middleware, not by any view.
    settings.SESSION_SAVE_EVERY_REQUEST = True

    with stopped("postgres"):
        page = client.get(f"/jobs/{job.pk}/")
        api = client.get(f"/api/deletions/{job.pk}/")
        saved_by_middleware = client.get("/health/live/")

    assert_page_503(page, "The console database (PostgreSQL)")
    assert_api_503(api, "The console database (PostgreSQL)")
    assert_page_503(saved_by_middleware, "The console database (PostgreSQL)")


def test_redis_down_answers_503_naming_redis(client, rng):
    target = create_campaign(CampaignSpec(name="Outage"), rng)

    with stopped("redis"):
        # Both previews count against the throttle, whose counters live in Redis.
        page = client.get(f"/campaigns/{target.id}/delete/")
        api = client.get(f"/api/targets/campaign/{target.id}/preview/")

    assert_page_503(page, "Redis")
    assert_api_503(api, "Redis")


@pytest.mark.parametrize(
    ("server", "named", "error"),
    [("neo4j", "Neo4j", "ServiceUnavailable"), ("target-postgres", "The target PostgreSQL", "OperationalError")],
)
def test_a_store_down_answers_503_naming_the_store(server, named, error, client, rng):
    target = create_campaign(CampaignSpec(name="Outage"), rng)

    with stopped(server):
        api = client.get(f"/api/targets/campaign/{target.id}/preview/")
        page = client.post(f"/campaigns/{target.id}/delete/", {"confirm_name": target.name})

    assert_api_503(api, named)
    # The confirm page keeps its own answer to a store that is down: the form, with the error.
    assert page.status_code == 503 and error in page.content.decode()

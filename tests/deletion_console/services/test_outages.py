"""Each server stopped mid-job and started again by the stack's own script (the drills of
`make drill`, shorter): the job goes on by itself once the server is back, or fails with a
reason and resumes; either way it ends with zero residue, its audit trail whole, every event
published exactly once and the neighbours unchanged."""

import pytest

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.devtools import drills
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

# Small batches, so that a test-sized step outlasts the outage; beat runs the watchdog.
OUTAGE_WORKER = {
    "DELETION_CHUNK_SECONDS": "1",
    "DELETION_CLAIM_SILENT_SECONDS": "3",
    "DELETION_MONGODB_BATCH": "300",
    "DELETION_MONGODB_STATEMENT_MAX": "600",
    "DELETION_NEO4J_BATCH": "10",
    "DELETION_POSTGRES_BATCH": "50",
}


@pytest.fixture(scope="module")
def outage_worker(suite_worker):
    """One for every outage, as in `make drill`: a worker lives through them all."""
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("outage", extra_env=OUTAGE_WORKER, beat=True).start()
    yield worker
    worker.stop()


@pytest.fixture
def tap():
    with drills.EventTap() as tap:
        yield tap


@pytest.fixture
def neighbours(rng):
    create_players(drills.PLAYERS)
    for n in range(3):
        create_campaign(CampaignSpec(name=f"Neighbour {n}", children=4, events=40, players=drills.PLAYERS[:2]), rng)
    return dumps.all_stores()


@pytest.mark.parametrize(
    ("server", "outcome"),
    [
        ("redis", ("went on by itself", "went on through the outage")),
        ("rabbitmq", ("went on by itself", "went on through the outage")),
        ("postgres", ("went on by itself", "went on through the outage")),
        # The platform's own database, on its own server: the postgres step waits out its
        # retries and goes on, or fails and is resumed.
        ("target-postgres", ("went on by itself", "failed (")),
        # Back before its retries run out, or not: the job goes on, or a step that reads it (the
        # mongodb step, or verify if that step was over) fails and is resumed.
        ("ferretdb", ("went on by itself", "went on through the outage", "failed (")),
    ],
)
def test_a_server_stopped_mid_job_and_started_again_leaves_nothing_behind(
    server, outcome, outage_worker, tap, neighbours, rng
):
    sessions = 1_000 if server == "target-postgres" else 3
    row = drills.outage(server, rng, seconds=4, tap=tap, events=3_000, children=30, sessions=sessions)

    assert row.outcome.startswith(outcome), row.outcome
    assert row.outcome.endswith("succeeded"), row.outcome
    assert "audit trail broken" not in row.outcome
    # Counts equal deleted: a batch whose reply the outage swallowed is settled, not lost.
    assert "counted" not in row.outcome, row.outcome
    assert row.recover_seconds is not None and row.recover_seconds < 30
    assert row.residue == 0
    assert row.events_lost.startswith("0 lost, 0 twice of "), row.events_lost
    assert dumps.all_stores() == neighbours

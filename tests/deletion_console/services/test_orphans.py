"""Orphan sweeps and their clean-up jobs, end to end through the real Celery worker and broker."""

import time

import pytest
from celery import current_app

from deletion_console.dispatch import SWEEP_ORPHANS
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobStatus, OrphanSweep
from deletion_console.selectors.orphans import find_orphans
from deletion_console.services import orphans
from deletion_console.services.preview import preview
from tests.factories import request_deletion
from tests.fixtures import dumps
from tests.fixtures.orphans import (
    nonzero,
    orphan_counts,
    orphaned_campaign,
    orphaned_tenant,
    plant_ghost_campaign_data,
    seed_neighbours,
)
from tests.fixtures.worker import WorkerProcess, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]


def wait_for_sweep(timeout: float = 30, exclude=None) -> OrphanSweep:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sweep = OrphanSweep.objects.filter(finished_at__isnull=False).exclude(pk=exclude).first()
        if sweep is not None:
            return sweep
        time.sleep(0.1)
    raise AssertionError(f"no orphan sweep finished within {timeout} s")


def plant(rng):
    """Neighbours, the dump of them, then orphans of both kinds of three origins."""
    seed_neighbours(rng)
    before = dumps.all_stores()
    campaign = orphaned_campaign(rng, "Crashed campaign", events=60)
    ghost = plant_ghost_campaign_data("ghost-campaign")
    tenant = orphaned_tenant(rng, "t-crashed")
    expected = {
        "campaign": orphan_counts("campaign", campaign.counts, ghost),
        "tenant": orphan_counts("tenant", tenant.counts),
    }
    return before, expected


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.parametrize("kind", ["campaign", "tenant"])
def test_planted_orphans_are_previewed_cleaned_and_every_living_neighbour_stays_byte_identical(kind, rng):
    before, expected = plant(rng)
    other = "tenant" if kind == "campaign" else "campaign"

    shown = preview(f"{kind}-orphans", kind)
    job = wait_for_job(request_deletion(f"{kind}-orphans", kind).pk)

    assert shown.label == f"Orphaned {kind} data"
    assert nonzero(shown.counts) == expected[kind]
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.counts == job.preview == shown.counts
    assert all(n == 0 for entities in job.residue.values() for n in entities.values())
    assert JobEvent.objects.filter(job=job, kind="requested").count() == 1  # the ordinary audit trail
    # The other kind's orphans are still there, and found again; this kind's are gone.
    assert orphans_found(kind) == {} and orphans_found(other) == expected[other]
    wait_for_job(request_deletion(f"{other}-orphans", other).pk)
    assert dumps.all_stores() == before


def orphans_found(kind):
    return nonzero(find_orphans(get_plan(kind), limit=100).counts)


@pytest.mark.usefixtures("celery_worker")
def test_the_scheduled_sweep_records_what_it_found_and_requests_nothing_by_default(rng):
    _, expected = plant(rng)

    current_app.send_task(SWEEP_ORPHANS)  # as beat sends it
    sweep = wait_for_sweep()

    assert sweep.trigger == OrphanSweep.Trigger.SCHEDULE and sweep.error == ""
    assert {kind: nonzero(found["counts"]) for kind, found in sweep.findings.items()} == expected
    assert sweep.findings["tenant"]["refs"] == ["t-crashed"] and sweep.findings["campaign"]["owners"] == 2
    assert sweep.cleanup_jobs == {} and not DeletionJob.objects.exists()


@pytest.fixture
def automatic_worker(suite_worker):
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("orphans-automatic", extra_env={"ORPHAN_CLEANUP_AUTOMATIC": "true"}).start()
    yield worker
    worker.stop()


def test_with_automatic_clean_up_on_the_scheduled_sweep_requests_the_clean_ups_and_they_succeed(rng, automatic_worker):
    orphans.run_sweep()  # an earlier sweep, before the orphans: the clean-ups must take the new one's
    before, expected = plant(rng)

    current_app.send_task(SWEEP_ORPHANS)
    sweep = wait_for_sweep(exclude=OrphanSweep.objects.get().pk)
    jobs = {kind: wait_for_job(job_id) for kind, job_id in sweep.cleanup_jobs.items()}

    assert set(jobs) == {"campaign", "tenant"}
    for kind, job in jobs.items():
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.kind == f"{kind}-orphans" and nonzero(job.counts) == expected[kind]
        requested = JobEvent.objects.get(job=job, kind="requested")
        assert requested.message == orphans.AUTOMATIC
    assert dumps.all_stores() == before


def test_a_clean_up_takes_the_owners_the_latest_sweep_found_and_previews_them_owner_by_owner(rng):
    seed_neighbours(rng)
    swept = orphaned_campaign(rng, "Swept")
    orphans.run_sweep()
    orphaned_campaign(rng, "Since")  # the next sweep's

    shown = preview("campaign-orphans", "campaign")

    assert nonzero(shown.counts) == orphan_counts("campaign", swept.counts)


def test_a_sweep_that_finds_nothing_requests_nothing_even_when_automatic(rng, settings):
    settings.ORPHAN_CLEANUP_AUTOMATIC = True
    seed_neighbours(rng)

    sweep = orphans.run_sweep()

    assert sweep.total == 0 and sweep.cleanup_jobs == {} and not DeletionJob.objects.exists()


def test_beat_runs_the_sweep_at_the_configured_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-orphaned-data"]

    assert entry["task"] == SWEEP_ORPHANS
    assert entry["schedule"] == settings.ORPHAN_SWEEP_INTERVAL_SECONDS == 86400
    assert settings.ORPHAN_CLEANUP_AUTOMATIC is False


# -- implausible findings -----------------------------------------------------------------------


def test_a_sweep_against_an_empty_home_database_refuses_and_requests_nothing_even_when_automatic(rng, settings):
    settings.ORPHAN_CLEANUP_AUTOMATIC = True
    seed_neighbours(rng)
    settings.MONGODB_DB = "an-empty-database"  # mis-set: no campaign at home, their graph and rows still there

    sweep = orphans.run_sweep()
    shown = preview("campaign-orphans", "campaign")

    campaign = sweep.findings["campaign"]
    assert campaign["gone"] == 3 and campaign["at_home"] == 0
    assert "lists none" in campaign["refusal"] and "right database" in campaign["refusal"]
    assert sweep.refusal.startswith("campaign: ")
    assert sweep.error == "" and sweep.cleanup_jobs == {} and not DeletionJob.objects.exists()
    assert shown.total == 0  # a person's clean-up takes nothing of a refused sweep either


def test_a_sweep_refuses_when_more_than_the_configured_share_of_owners_is_gone(rng, settings):
    settings.ORPHAN_CLEANUP_AUTOMATIC = True
    settings.ORPHAN_SWEEP_MAX_GONE_SHARE = 0.3
    seed_neighbours(rng)  # 3 campaigns, 2 tenants at home
    orphaned_campaign(rng, "Crashed")
    orphaned_tenant(rng, "t-crashed")
    orphaned_campaign(rng, "Crashed too")  # 2 of 5 campaigns gone: 40%; 1 of 3 tenants: 33%

    sweep = orphans.run_sweep()

    assert "40% of the campaigns found (2 of 5)" in sweep.findings["campaign"]["refusal"]
    assert "33% of the tenants found (1 of 3)" in sweep.findings["tenant"]["refusal"]
    assert sweep.cleanup_jobs == {} and not DeletionJob.objects.exists()


def test_one_implausible_kind_stops_every_automatic_clean_up(rng, settings):
    settings.ORPHAN_CLEANUP_AUTOMATIC = True
    seed_neighbours(rng)
    orphaned_tenant(rng, "t-crashed")  # plausible: 1 of 3 tenants
    settings.MONGODB_DB = "an-empty-database"

    sweep = orphans.run_sweep()

    assert sweep.findings["tenant"]["refusal"] == "" and sweep.findings["tenant"]["owners"] == 1
    assert sweep.findings["campaign"]["refusal"]
    assert sweep.cleanup_jobs == {} and not DeletionJob.objects.exists()

"""A tenant deleted service by service, side by side, on the real stores and a real worker."""

import psycopg
import pytest
from django.conf import settings

from deletion_console.engine.plan import get_plan
from deletion_console.models import JobEvent, JobStatus
from deletion_console.selectors.jobs import job_snapshot
from deletion_console.services import jobs
from deletion_console.stores import sql
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]

SERVICES = get_plan("tenant").phase("services").step_names


def without_supplier(dump: dict, supplier: str) -> dict:
    """Suppliers are a shared catalogue: one only the deleted tenant bought from stays, as a node."""
    nodes = [n for n in dump["neo4j"]["nodes"] if f'"{supplier}"' not in n]
    assert len(nodes) == len(dump["neo4j"]["nodes"]) - 1, f"supplier {supplier} must stay"
    return {**dump, "neo4j": {**dump["neo4j"], "nodes": nodes}}


def test_a_tenant_goes_from_every_service_and_a_neighbour_whose_id_it_prefixes_is_untouched(celery_worker, rng):
    create_tenant(TenantSpec(id="t-1", name="Neighbour", rows=40, suppliers=("sup-1", "sup-2")), rng)
    before = dumps.all_stores()
    target = create_tenant(TenantSpec(id="t-10", name="Target", rows=40, suppliers=("sup-1", "sup-3")), rng)

    job = wait_for_job(request_deletion("tenant", target.id).pk)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.counts == job.preview == target.counts
    assert all(n == 0 for entities in job.residue.values() for n in entities.values())
    assert without_supplier(dumps.all_stores(), "sup-3") == before
    snapshot = job_snapshot(job)
    assert (snapshot["services_completed"], snapshot["services_failed"]) == (len(SERVICES) + 1, 0)
    assert {s["name"]: s["deleted"] for s in snapshot["services"]} == {
        step: sum(entities.values()) for step, entities in target.counts.items()
    }
    # A small job's side-by-side services run on one after another in the chunk that reached them
    # (a large job's are queued as one group, to run at once: test_run_on).
    events = JobEvent.objects.filter(job=job, step__in=SERVICES)
    # The registry went last, after every service.
    registry = JobEvent.objects.get(job=job, step="registry", kind="started")
    assert registry.created_at > max(e.created_at for e in events if e.kind == "succeeded")


@pytest.fixture
def impatient_worker(suite_worker):
    """A worker that gives up on a row lock quickly, and retries fast."""
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("impatient", extra_env={"TARGET_LOCK_TIMEOUT": "200ms"}).start()
    yield worker
    worker.stop()


def test_a_service_held_up_by_a_lock_fails_alone_and_resume_finishes_only_what_is_left(impatient_worker, rng):
    create_tenant(TenantSpec(id="t-1", name="Neighbour"), rng)
    before = dumps.all_stores()
    target = create_tenant(TenantSpec(id="t-10", name="Target", rows=30), rng)

    # The platform holds the tenant's POS transactions (row locks: counting them still works).
    with psycopg.connect(settings.TARGET_DATABASE_URL) as platform:
        platform.execute("SELECT 1 FROM pos.pos_transactions WHERE tenant_id = %s FOR UPDATE", [target.id])
        failed = wait_for_job(request_deletion("tenant", target.id).pk, timeout=60)

    assert failed.status == JobStatus.FAILED
    assert failed.current_phase == "services"
    assert failed.error.startswith(f"{len(SERVICES) - 1} of {len(SERVICES)} services done; pos step failed: ")
    assert "LockNotAvailable" in failed.error and "gave up after 4 attempts" in failed.error
    states = {step: failed.steps[step]["state"] for step in SERVICES}
    assert states == {step: "failed" if step == "pos" else "done" for step in SERVICES}
    assert failed.steps["registry"]["state"] == "pending"  # the registry waits for every service
    assert sql.scalar("SELECT count(*) FROM public.tenants WHERE id = %(t)s", {"t": target.id}) == 1
    snapshot = job_snapshot(failed)
    assert (snapshot["services_completed"], snapshot["services_failed"]) == (len(SERVICES) - 1, 1)
    pos = next(s for s in snapshot["services"] if s["name"] == "pos")
    assert pos["deleted"] == 0 and "LockNotAvailable" in pos["error"]
    assert "POS step failed: POS data of this tenant remains" in failed.warnings[-1]

    jobs.resume(failed.pk)
    resumed = wait_for_job(failed.pk, timeout=60)

    assert resumed.status == JobStatus.SUCCEEDED, resumed.error
    assert resumed.counts == target.counts
    # Only the failed service ran again.
    restarted = set(JobEvent.objects.filter(job=resumed, kind="started", run=2).values_list("step", flat=True))
    assert restarted == {"pos", "registry", "verify", "complete"}
    assert dumps.all_stores() == before  # both buy from the same suppliers, which stay

"""The job lifecycle: its transition table walked pair by pair, the one place that changes a job's
status, and what every end of a job does, whichever transition reached it."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from deletion_console.models import BulkRequest, DeletionJob, JobEvent, JobStatus
from deletion_console.services import approvals, lifecycle
from deletion_console.services.errors import JobStateError
from deletion_console.services.lifecycle import EVENT_OF, NEW, TRANSITIONS, Action
from tests.factories import DeletionJobFactory, approver, deleter

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
PAIRS = [(status, action) for action in Action for status in (NEW, *JobStatus)]


def job_in(status):
    if status is NEW:
        return DeletionJobFactory.build(run=1)
    return DeletionJobFactory(status=status)


def events_of(job_id) -> list[str]:
    return list(JobEvent.objects.filter(job_id=job_id).order_by("id").values_list("kind", flat=True))


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=[f"{s or 'new'}-{a}" for s, a in PAIRS])
def test_every_status_and_action_pair_is_either_one_audited_change_or_a_refusal_that_writes_nothing(status, action):
    job = job_in(status)
    allowed = TRANSITIONS[action].get(status)
    seq = job.seq

    if allowed is None:
        with pytest.raises(JobStateError):
            lifecycle.apply(job if status is NEW else job.pk, action)
        if status is not NEW:
            assert events_of(job.pk) == []
            assert DeletionJob.objects.get(pk=job.pk).seq == seq and job.status == status
        else:
            assert not DeletionJob.objects.filter(pk=job.pk).exists()
        return

    changed = lifecycle.apply(job if status is NEW else job.pk, action)

    assert changed.status in allowed
    assert DeletionJob.objects.get(pk=job.pk).seq == seq + 1
    assert events_of(job.pk) == [EVENT_OF[action]]


def test_a_change_to_a_status_the_table_does_not_allow_is_a_bug_and_writes_nothing():
    job = DeletionJobFactory(status=JobStatus.RUNNING)

    with pytest.raises(ValueError, match="cannot lead"):
        lifecycle.apply(job.pk, Action.FINISH_STEP, mutate=lambda job: JobStatus.CANCELLED)

    assert events_of(job.pk) == [] and DeletionJob.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_every_action_has_its_event_and_leads_only_to_statuses():
    assert set(EVENT_OF) == set(TRANSITIONS) == set(Action)
    assert all(target in JobStatus.values for rows in TRANSITIONS.values() for ts in rows.values() for target in ts)


def _assignments(path: Path) -> list[str]:
    """Where a module assigns a job's status or phase: attribute assignments, and the keyword
    of a call that writes rows (create, update, a model's constructor, update_or_create)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in ("status", "current_phase"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} assigns .{target.attr}")
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            written = {"status", "current_phase"} & {kw.arg for kw in node.keywords}
            if written and name in ("update", "create", "DeletionJob", "update_or_create", "bulk_update"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} writes {', '.join(sorted(written))}")
    return found


def test_only_the_lifecycle_module_assigns_a_jobs_status_or_phase():
    runtime = [ROOT / "campaigns", ROOT / "tenants", ROOT / "deletion_console"]
    lifecycle_module = ROOT / "deletion_console" / "services" / "lifecycle.py"
    modules = [p for top in runtime for p in top.rglob("*.py") if "migrations" not in p.parts]

    elsewhere = [where for path in modules if path != lifecycle_module for where in _assignments(path)]

    assert elsewhere == [], "a job's status or phase is changed outside services/lifecycle.py:\n" + "\n".join(elsewhere)
    assert _assignments(lifecycle_module), "the scan no longer recognises the lifecycle's own assignments"


# --- every end runs the end-of-job steps ---------------------------------------------------------


@pytest.fixture
def bulk_with_a_free_place():
    """A bulk request whose one queued job waits although no job of it runs (the release that
    should have started it was lost), beside one of its jobs awaiting approval."""
    bulk = BulkRequest.objects.create(kind="campaign", max_running=1)
    queued = DeletionJobFactory(status=JobStatus.QUEUED, bulk_request=bulk)
    held = DeletionJobFactory(
        status=JobStatus.AWAITING_APPROVAL,
        bulk_request=bulk,
        requested_by=deleter(),
        approval_required=True,
        approval_expires_at=timezone.now() + timedelta(hours=1),
    )
    return queued, held


def test_a_rejected_request_ends_like_every_other_end_and_releases_its_bulk_requests_next_job(
    bulk_with_a_free_place, django_capture_on_commit_callbacks
):
    queued, held = bulk_with_a_free_place

    with django_capture_on_commit_callbacks(execute=True):
        approvals.reject(held.pk, approver(), reason="wrong campaign")

    assert DeletionJob.objects.get(pk=held.pk).status == JobStatus.CANCELLED
    assert held.outbox_events.get().routing_key == "deletion.cancelled"
    assert DeletionJob.objects.get(pk=queued.pk).status == JobStatus.PENDING


def test_an_expired_request_ends_like_every_other_end_and_releases_its_bulk_requests_next_job(
    bulk_with_a_free_place, django_capture_on_commit_callbacks
):
    queued, held = bulk_with_a_free_place
    DeletionJob.objects.filter(pk=held.pk).update(approval_expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        approvals.expire(held.pk)

    assert DeletionJob.objects.get(pk=held.pk).status == JobStatus.CANCELLED
    assert DeletionJob.objects.get(pk=queued.pk).status == JobStatus.PENDING

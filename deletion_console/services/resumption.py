"""Whether a stopped job may run again: who may resume it, and whether what it was confirmed
against still holds. A resume deletes on the strength of a confirmation given earlier, for data
as it was then; these checks refuse it once that confirmation no longer describes the data.

`check_who` and `check_age` read only the job (services.jobs runs them again under its lock);
`check_target` reads the stores, so it runs before the lock is taken.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deletion_console.engine.plan import Plan, get_plan
from deletion_console.models import DeletionJob, StepState
from deletion_console.selectors.service_accounts import is_service_account
from deletion_console.services.errors import PersonMustResume, ResumeCheckUnavailable, ResumeRefused
from deletion_console.services.preview import Preview, preview
from deletion_console.stores import errors as store_errors

ANEW = "Request a new deletion of its target instead: its preview shows what is there now."
# A target this job half deleted may be gone itself: then no new request can name it.
ORPHANED = "If the target itself is gone, the orphan sweep finds what remains and the Orphans page cleans it up."


def check_who(job: DeletionJob, user) -> None:
    if job.cancelled_by_person and is_service_account(user):
        raise PersonMustResume(
            f"Job {job.pk} was cancelled by a person; only a person may resume it "
            "(from its page, the admin or the command line).",
            job,
        )


def check_age(job: DeletionJob) -> None:
    limit = timedelta(seconds=settings.DELETION_RESUME_MAX_AGE_SECONDS)
    since = confirmed_at(job)
    if timezone.now() - since > limit:
        raise ResumeRefused(
            f"Job {job.pk} started {since:%Y-%m-%d %H:%M} UTC, more than {_duration(limit)} ago "
            f"(DELETION_RESUME_MAX_AGE_SECONDS); it may no longer be resumed. {ANEW} {ORPHANED}",
            job,
        )


def confirmed_at(job: DeletionJob):
    """When the job's confirmation last took effect: its start, else its approval, else its request."""
    return job.started_at or job.approved_at or job.created_at


def check_target(job: DeletionJob) -> None:
    """The target still resolves (or this job already deleted part of it), and what remains of it
    has not grown beyond DELETION_RESUME_MAX_DRIFT of what the job was confirmed against."""
    plan = get_plan(job.kind)
    try:
        current = preview(job.kind, job.target_id)
    except Exception as exc:
        if not store_errors.is_transient(exc):
            raise
        raise ResumeCheckUnavailable(
            f"Could not check what remains of {plan.noun} {job.target_id!r} before resuming job {job.pk} "
            f"({store_errors.describe(exc)}); nothing was resumed. Try again once the store is reachable.",
            job,
        ) from exc
    if not current.exists and not _went_with_this_job(job, plan):
        raise ResumeRefused(
            f"The {plan.noun} {job.target_label or job.target_id!r} no longer exists, and job {job.pk} deleted "
            "none of it: something else removed it, so there is nothing of it to resume. If data of it "
            "remains, the orphan sweep finds it and the Orphans page cleans it up.",
            job,
        )
    grown, limit = growth(job, plan, current), settings.DELETION_RESUME_MAX_DRIFT * job.total_expected
    if grown > limit:
        raise ResumeRefused(
            f"The {plan.noun}'s data has grown by {grown:,} entities since job {job.pk} stopped, more than "
            f"{settings.DELETION_RESUME_MAX_DRIFT:.0%} of the {job.total_expected:,} it was confirmed against "
            f"(DELETION_RESUME_MAX_DRIFT); it may no longer be resumed. {ANEW if current.exists else ORPHANED}",
            job,
        )


def _went_with_this_job(job: DeletionJob, plan: Plan) -> bool:
    """Whether the target's absence is this job's doing (it deleted some of it: the target's own
    record may be among what went), or it was already gone when the job started (a repeated
    request of a target an earlier job deleted)."""
    if job.target_facts.get("found") is False:
        return True
    return job.total_deleted > 0 or any(job.step_state(s.name) != StepState.PENDING for s in plan.deletion_steps)


def remaining_by_job(job: DeletionJob, plan: Plan) -> dict[tuple[str, str], int]:
    """What remained of the target when the job stopped, by its own records: of a step it
    finished, what its verify step found (nothing, unless residue); of any other, what was
    confirmed less what it deleted."""
    remaining = {}
    for step in plan.deletion_steps:
        name = step.name
        expected, deleted = job.preview.get(name, {}), job.counts.get(name, {})
        for item in step.items:
            entity = item.entity
            if job.step_state(name) == StepState.DONE:
                remaining[name, entity] = job.residue.get(name, {}).get(entity, 0)
            else:
                remaining[name, entity] = max(expected.get(entity, 0) - deleted.get(entity, 0), 0)
    return remaining


def growth(job: DeletionJob, plan: Plan, current: Preview) -> int:
    """How many more entities remain now than remained when the job stopped, entity by entity
    (an entity with fewer now does not make up for another with more)."""
    before = remaining_by_job(job, plan)
    return sum(
        max(n - before.get((step, entity), 0), 0)
        for step, entities in current.counts.items()
        for entity, n in entities.items()
    )


def _duration(delta: timedelta) -> str:
    days, seconds = delta.days, delta.seconds
    if days and not seconds:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{int(delta.total_seconds()):,} seconds"

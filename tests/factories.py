"""Test data for the console's own database: users and deletion jobs."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from deletion_console import audit_facts
from deletion_console.engine.plan import get_plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobEvent, JobStatus
from deletion_console.services import jobs
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.context import Chunk
from deletion_console.services.preview import preview

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def can_delete(user, create, extracted, **kwargs):
        if extracted:
            user.user_permissions.add(Permission.objects.get(codename="request_deletion"))
        user.save()


def deleter(**kwargs):
    """A user holding the deletion permission (and nothing else)."""
    return UserFactory(can_delete=True, **kwargs)


def approver(**kwargs):
    """A user holding the approval permission (and nothing else)."""
    user = UserFactory(can_delete=False, **kwargs)
    user.user_permissions.add(Permission.objects.get(codename="approve_deletion"))
    return type(user).objects.get(pk=user.pk)  # a fresh instance: permissions are cached


def viewer(**kwargs):
    """A signed-in user without the deletion permission."""
    return UserFactory(can_delete=False, **kwargs)


STEPS = get_plan("campaign").step_names


def request_deletion(kind: str, target_id: str, user=None) -> DeletionJob:
    """Request a deletion as a person confirming the preview would: the name typed as shown."""
    shown = preview(kind, target_id)
    confirmation = jobs.Confirmation(shown.label, shown=sign_preview(shown))
    return jobs.request_deletion(kind=kind, target_id=target_id, confirmation=confirmation, user=user)


PREVIEW = {
    "mongodb": {
        "campaign_events": 12_500,
        "items": 3,
        "npcs": 3,
        "scenes": 3,
        "quests": 3,
        "places": 3,
        "campaigns": 1,
    },
    "neo4j": {"PLAYS_IN": 2, "Item": 3, "NPC": 3, "Scene": 3, "Quest": 3, "Place": 3, "Campaign": 1},
    "postgres": {"session_attendance": 4, "campaign_sessions": 2, "player_campaigns": 2},
}


def _zeros(preview):
    return {store: dict.fromkeys(entities, 0) for store, entities in preview.items()}


class DeletionJobFactory(factory.django.DjangoModelFactory):
    """A job as the services leave it, without running anything: pending unless told otherwise."""

    class Meta:
        model = DeletionJob

    kind = "campaign"
    target_id = factory.Sequence(lambda n: f"campaign-{n:04d}")
    target_label = factory.Sequence(lambda n: f"Campaign {n:04d}")
    status = JobStatus.PENDING
    current_phase = STEPS[0]
    preview = factory.LazyFunction(lambda: {s: dict(e) for s, e in PREVIEW.items()})
    counts = factory.LazyAttribute(lambda job: _zeros(job.preview))
    steps = factory.LazyFunction(lambda: {step: {"state": "pending"} for step in STEPS})
    run = 1
    chunk = 1


def succeeded_job(**kwargs) -> DeletionJob:
    now = timezone.now()
    steps = {step: {"state": "done", "seconds": 0.25, "finished_at": now.isoformat()} for step in STEPS}
    preview = kwargs.pop("preview", {s: dict(e) for s, e in PREVIEW.items()})
    return DeletionJobFactory(
        status=JobStatus.SUCCEEDED,
        current_phase="complete",
        progress=100.0,
        preview=preview,
        counts={s: dict(e) for s, e in preview.items()},
        residue={s: dict.fromkeys(e, 0) for s, e in preview.items()},
        steps=steps,
        started_at=now,
        finished_at=now,
        heartbeat_at=now,
        **kwargs,
    )


def with_trail(job: DeletionJob) -> DeletionJob:
    """Give a job made by a factory the trail the lifecycle writes: its request's event, its
    approval's (if it names an approver), a step's start and, if it ended, its end's, each
    stating the facts that transition established."""

    def append(kind, facts, **fields):
        JobEvent.objects.create(job=job, kind=kind, run=job.run, facts=facts, **fields)

    who = f"by {job.requested_by.get_username()}" if job.requested_by else "by the command line"
    requested = {"status": JobStatus.PENDING, **audit_facts.requested_facts(job)}
    append("requested", requested, message=who, counts={"expected": job.total_expected})
    if job.approved_by is not None:
        approval = {"status": JobStatus.PENDING, **audit_facts.approval_facts(job)}
        append("approved", approval, message=f"by {job.approved_by.get_username()}", created_at=job.approved_at)
    if job.started_at is not None:
        append("started", {"status": JobStatus.RUNNING}, step=STEPS[0])
    if job.status in TERMINAL_STATUSES:
        end = {"status": job.status, **audit_facts.end_facts(job)}
        kind = {JobStatus.SUCCEEDED: "succeeded", JobStatus.FAILED: "failed"}.get(job.status, "cancelled")
        append(kind, end, step=STEPS[-1], counts={"deleted": job.total_deleted})
    return job


def failed_job(step="neo4j", reason="ServiceUnavailable: connection refused", **kwargs) -> DeletionJob:
    now = timezone.now()
    steps = {}
    for name in STEPS:
        if STEPS.index(name) < STEPS.index(step):
            steps[name] = {"state": "done", "seconds": 0.5}
        elif name == step:
            steps[name] = {"state": "failed", "last_error": reason}
        else:
            steps[name] = {"state": "pending"}
    job = DeletionJobFactory(
        status=JobStatus.FAILED,
        current_phase=step,
        error=f"{step} step failed: {reason}",
        warnings=["MongoDB data removed; Neo4j data of this campaign remains until the job is resumed."],
        steps=steps,
        started_at=now,
        finished_at=now,
        heartbeat_at=now,
        **kwargs,
    )
    JobEvent.objects.create(job=job, step=step, kind="failed", message=reason)
    return job


def running_job(step="mongodb", **kwargs) -> DeletionJob:
    now = timezone.now()
    steps = {name: {"state": "pending"} for name in STEPS}
    for name in STEPS[: STEPS.index(step)]:
        steps[name] = {"state": "done", "seconds": 0.1}
    steps[step] = {"state": "running", "started_at": now.isoformat(), "chunk": 1, "attempt": 1, "run": 1}
    return DeletionJobFactory(
        status=JobStatus.RUNNING, current_phase=step, steps=steps, started_at=now, heartbeat_at=now, **kwargs
    )


def chunk_of(job: DeletionJob, step: str) -> Chunk:
    """The context a worker's chunk of this job's step would run with."""
    chunk = job.steps.get(step, {}).get("chunk", job.chunk)
    return Chunk(job=job, plan=get_plan(job.kind), step=step, run=job.run, chunk=chunk, attempt=1)


def service_account(name: str = "orders-service", can_delete: bool = True, scopes: dict | None = None):
    """A service account and its token: (account, token).

    Unless `scopes` says otherwise, scoped as existing accounts were when scopes came: every
    action on every kind for one that may delete, reading for one that may not.
    """
    from deletion_console.engine.plan import kinds
    from deletion_console.models import TokenAction
    from deletion_console.services.service_accounts import create_service_account

    permissions = ["deletion_console.request_deletion"] if can_delete else []
    if scopes is None:
        actions = list(TokenAction.values) if can_delete else [TokenAction.READ]
        scopes = {kind: actions for kind in kinds()}
    return create_service_account(name=name, permissions=permissions, scopes=scopes)

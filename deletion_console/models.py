import uuid
from dataclasses import dataclass, field, fields

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from deletion_console import audit_chain


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Held before it may start: the grace period, or a second person's approval.
    SCHEDULED = "scheduled", "Scheduled"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    # One of a bulk request's jobs, waiting for a place among its running ones.
    QUEUED = "queued", "Queued in its batch"


# A held job is active too: no second job may be requested for its target meanwhile.
HELD_STATUSES = (JobStatus.SCHEDULED, JobStatus.AWAITING_APPROVAL)
ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING, *HELD_STATUSES, JobStatus.QUEUED)
TERMINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
# A job that stopped short can be run again from where it stopped; a succeeded one has nothing left.
RESUMABLE_STATUSES = (JobStatus.FAILED, JobStatus.CANCELLED)
# Jobs that hold one of their bulk request's running places: queued chunks or a running step.
ADMITTED_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


class TokenAction(models.TextChoices):
    """What a service account's token may be scoped to, per kind of target."""

    READ = "read", "Read jobs"
    PREVIEW = "preview", "Preview targets"
    REQUEST = "request", "Request deletions"
    CANCEL = "cancel", "Cancel jobs"
    RESUME = "resume", "Resume jobs"


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Retrying"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A step in one of these states has nothing more to do in this run.
OVER_STATES = (StepState.DONE, StepState.FAILED, StepState.CANCELLED)


@dataclass(frozen=True)
class StepRecord:
    """One step's record on its job (`DeletionJob.steps`), as the recorder keeps it."""

    state: str = StepState.PENDING
    # The chunk number of the one message that may run the step next (see DeletionJob.chunk).
    chunk: int | None = None
    attempt: int = 1
    run: int | None = None
    cursor: dict = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    last_error: str = ""
    # The message [step, run, chunk] whose task numbered the current chunk: it ran on into it or
    # queued it. Should that task die before its message for the chunk went out (or with no
    # message at all, run on), the broker's redelivery of its own message goes on with it.
    numbered_by: list | None = None
    # The worker running the current chunk ("node#boot"), and when it last wrote, so that the
    # watchdog can tell a chunk whose worker died from one still waiting in the queue.
    worker: str | None = None
    beat_at: str | None = None

    @classmethod
    def from_json(cls, data: dict | None) -> "StepRecord":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known and v is not None})

    @property
    def is_over(self) -> bool:
        return self.state in OVER_STATES


class JobEventKind(models.TextChoices):
    # The request and what holds it back
    REQUESTED = "requested", "Requested"
    AWAITING_APPROVAL = "awaiting-approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Approval expired"
    SCHEDULED = "scheduled", "Scheduled"
    GRACE_PERIOD_OVER = "grace-period-over", "Grace period over"
    RUN_NOW = "run-now", "Run now"
    QUEUED = "queued", "Queued in its bulk request"
    DEQUEUED = "dequeued", "Left its bulk request's queue"
    # A person's or the watchdog's word on a job under way
    CANCEL_REQUESTED = "cancel-requested", "Cancel requested"
    RESUMED = "resumed", "Resumed"
    REQUEUED = "requeued", "Requeued"
    # A step's own record
    STARTED = "started", "Step started"
    PROGRESS = "progress", "Progress"
    BATCH = "batch", "Batch deleted"
    RETRY = "retry", "Retry"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # The facts of a job written before events stated them, recorded when the audit log began.
    ATTESTED = "attested", "Record attested"


class BulkRequest(models.Model):
    """A bulk request: who asked for which targets' deletion, when, and how many of its jobs may
    run at once (the rest wait as `queued` and start as running ones end)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    max_running = models.PositiveIntegerField()

    class Meta:
        ordering = ["-created_at"]
        db_table = "deletion_console_deletionbatch"
        verbose_name = "bulk deletion request"

    def __str__(self):
        return f"{self.kind} bulk request {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class DeletionJob(models.Model):
    """One request to delete one target, and everything that happened to it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    target_id = models.CharField(max_length=255)
    target_label = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=24, choices=JobStatus.choices, default=JobStatus.PENDING)
    # The phase the job is in: a step, or the name of steps that run side by side (a plan's Together).
    current_phase = models.CharField(max_length=32, blank=True, db_column="current_step")
    progress = models.FloatField(default=0.0, help_text="Percent, weighted by the preview's counts.")
    # {step: StepRecord as JSON}: read through step(), written by the recorder only
    steps = models.JSONField(default=dict, blank=True)
    # {step: {entity: deleted}} and, for the confirmation, {step: {entity: expected}}
    counts = models.JSONField(default=dict, blank=True)
    preview = models.JSONField(default=dict, blank=True)
    # {step: {entity: remaining}} as measured by the verify step
    residue = models.JSONField(default=dict, blank=True)
    # What the collect step found out about the target (format, key type) for later steps.
    target_facts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # A person (not a service account) asked this job to stop: only a person may resume it.
    cancelled_by_person = models.BooleanField(default=False)
    # Bumped on every (re)enqueue of the chain; a task from an older run finds it changed and
    # stands down, so a re-delivered message never races the run that replaced it.
    run = models.PositiveIntegerField(default=0)
    # Bumped whenever a chunk of any step is queued, and the number stored on that step: a message
    # for an older chunk (re-delivered after its successor was queued) stands down instead of
    # running the step twice at once. A step's attempt number lives with it in `steps`.
    chunk = models.PositiveIntegerField(default=0)
    seq = models.PositiveBigIntegerField(default=0, help_text="Bumped on every change.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The grace period: a scheduled job starts once this has passed (or when run now).
    run_after = models.DateTimeField(null=True, blank=True)
    # Second approval: a job that needed one runs only once approved, and never after it expired.
    approval_required = models.BooleanField(default=False)
    approval_expires_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # The person a request by message names as the one who asked (its `user_id`), for a service
    # that is `requested_by`: they may not approve it either (services.approvals).
    requested_for = models.CharField(max_length=255, blank=True)
    bulk_request = models.ForeignKey(
        BulkRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs", db_column="batch_id"
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("request_deletion", "Can request, cancel and resume deletions"),
            ("approve_deletion", "Can approve or reject another person's deletion request"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target_id"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="one_active_job_per_target",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self):
        return f"{self.kind} {self.target_label or self.target_id} ({self.status})"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def is_held(self):
        return self.status in HELD_STATUSES

    @property
    def is_resumable(self):
        # Resuming a request that was never approved would run it without the approval.
        unapproved = self.approval_required and self.approved_at is None
        return self.status in RESUMABLE_STATUSES and not unapproved

    def step(self, name: str) -> StepRecord:
        return StepRecord.from_json(self.steps.get(name))

    def step_state(self, name: str) -> str:
        return self.step(name).state

    def update_step(self, name: str, **fields) -> None:
        self.steps = {**self.steps, name: {**self.steps.get(name, {}), **fields}}

    def new_chunk(self, name: str, *, by: list | None = None, **fields) -> None:
        """Give the step a fresh chunk number: the one message that may run it next; `by`, the
        message whose task numbers it."""
        self.chunk += 1
        self.update_step(name, chunk=self.chunk, numbered_by=by, worker=None, **fields)

    def add_warning(self, warning: str | None) -> None:
        if warning and warning not in self.warnings:
            self.warnings = [*self.warnings, warning]

    @property
    def total_deleted(self):
        return sum(sum(entities.values()) for entities in self.counts.values())

    @property
    def total_expected(self):
        return sum(sum(entities.values()) for entities in self.preview.values())


class CollectedId(models.Model):
    """An id gathered by the collect step, persisted before the first delete.

    Later steps read these instead of the stores, so they still know what to delete after an
    earlier step (or an earlier crash) removed the documents the ids were found through.
    """

    job = models.ForeignKey(DeletionJob, on_delete=models.CASCADE, related_name="collected_ids")
    entity = models.CharField(max_length=64)
    value = models.CharField(max_length=255)
    # MongoDB keys keep their BSON type: an ObjectId and its hex string are different _ids.
    is_object_id = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "entity", "value"], name="collected_id_once")]

    def __str__(self):
        return f"{self.entity} {self.value}"


class InFlightBatch(models.Model):
    """A delete batch about to be sent to a store, whose deletes are not recorded in the same
    transaction as their count (MongoDB's bulk of exact-key deletes is not even one transaction;
    Neo4j's driver retries a write whose reply was lost): what the plan item needs to tell later
    how much of it went, written before the batch is sent and removed with its count. One left behind means the
    reply was lost (the store or the worker went away mid-batch, perhaps after deleting part of
    it): the step's next chunk settles it, so that the job's counts stay equal to what it deleted."""

    job = models.ForeignKey(DeletionJob, on_delete=models.CASCADE, related_name="in_flight_batches")
    step = models.CharField(max_length=64)
    item = models.PositiveIntegerField()  # the item's index in its step
    entity = models.CharField(max_length=64)
    sent = models.JSONField(default=dict)  # as the item wrote it: its keys, say
    # The chunk that sent it: only its own count may remove it.
    run = models.PositiveIntegerField()
    chunk = models.PositiveIntegerField()

    class Meta:
        # One per chunk: whoever removes it (the chunk counting its batch, or a later one
        # settling it) is the one that counts the batch, so it is counted once.
        constraints = [
            models.UniqueConstraint(fields=["job", "step", "run", "chunk"], name="in_flight_batch_per_chunk")
        ]

    def __str__(self):
        return f"{self.entity} batch in flight"


class AppendOnlyError(Exception):
    pass


class JobEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Job events are append-only.")

    def delete(self):
        raise AppendOnlyError("Job events are append-only.")

    def bulk_create(self, objs, *args, **kwargs):
        raise AppendOnlyError("Job events are appended one at a time: each one's hash covers the one before.")


class JobEvent(models.Model):
    """Append-only audit trail of a job: every step transition, batch, retry and failure.

    Append-only here and in the database, whose triggers refuse UPDATE and DELETE of the rows and
    enter each one into the audit log (AuditLogEntry) as its transaction commits."""

    job = models.ForeignKey(DeletionJob, on_delete=models.PROTECT, related_name="events")
    step = models.CharField(max_length=32, blank=True)
    kind = models.CharField(max_length=32, choices=JobEventKind.choices)
    run = models.PositiveIntegerField(null=True, blank=True, help_text="The run of the job that did this.")
    counts = models.JSONField(default=dict, blank=True)
    attempt = models.PositiveIntegerField(default=1)
    seconds = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    # What the transition established, as the certificate states it (deletion_console.audit_facts).
    facts = models.JSONField(default=dict, blank=True)
    # Set before the insert (not by auto_now_add, which sets it during it) because the hash covers it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The tamper-evident chain: hash = SHA-256(prev_hash + this event's canonical content).
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = JobEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.step} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Job events are append-only.")
        with transaction.atomic():
            # Callers append while holding the job's row lock already; taking it here as well
            # keeps the chain linear for one that does not, as two events linked to the same
            # predecessor would read as tampering.
            list(DeletionJob.objects.select_for_update().filter(pk=self.job_id).values_list("pk"))
            last = JobEvent.objects.filter(job_id=self.job_id).order_by("-id").values_list("hash", flat=True).first()
            self.created_at = self.created_at or timezone.now()
            self.prev_hash = last or audit_chain.GENESIS
            self.hash = audit_chain.link(self.prev_hash, audit_chain.event_content(self))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Job events are append-only.")


class AuditLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only.")


class AuditLogEntry(models.Model):
    """One job event's place in the audit log, the one sequence of every job's events.

    Written by the database only: a trigger appends the entry as the event's transaction commits
    (deferred, so the log's lock is held for the commit alone, never while a job's row is being
    locked) and refuses to change or remove entries, as it refuses for the events. Nothing
    references an event or a job by key here: an entry outlives what it names, to report it gone.
    """

    position = models.BigIntegerField(primary_key=True)
    job_id = models.UUIDField()
    # The event's place in its job's trail, the first being 1.
    job_position = models.PositiveIntegerField()
    event_id = models.BigIntegerField(unique=True)
    event_hash = models.CharField(max_length=64)
    # hash = SHA-256 over the entry before it and this entry (audit_chain.log_link).
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        db_table = "deletion_console_auditlog"
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["job_id", "job_position"], name="audit_log_job_position_once")]
        verbose_name_plural = "audit log entries"

    def __str__(self):
        return f"{self.position}: job {self.job_id} event {self.job_position}"

    def save(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is appended by the database, as events are.")

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")


class OutboxEvent(models.Model):
    """A deletion event for other services, written with the change it reports (the outbox):
    published after commit, or by beat after a crash or an outage, so at least once."""

    job = models.ForeignKey(DeletionJob, on_delete=models.PROTECT, related_name="outbox_events")
    routing_key = models.CharField(max_length=64)
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "deletion_console_outboundevent"
        ordering = ["id"]
        indexes = [models.Index(fields=["published_at", "id"], name="outbound_unpublished")]

    def __str__(self):
        return f"{self.routing_key} ({'published' if self.published_at else 'pending'})"


class ServiceAccount(models.Model):
    """A machine client of the API: another service, calling with `Authorization: Bearer <token>`.

    It acts as its own user (no password, so it cannot sign in to the pages), whose Django
    permissions are the account's, and whose name the audit trail records as the requester.
    Its `scopes` narrow those permissions to some kinds of target and some actions.
    Only a SHA-256 of the token is stored: the token is shown once, when it is issued.
    """

    name = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_account")
    # The first characters of the token, to tell tokens apart in the admin and in logs.
    token_prefix = models.CharField(max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The account's login on the events broker: RabbitMQ vouches for it as a message's `user_id`
    # property, so a request by message from it is the account's (services.intake).
    broker_user = models.CharField(
        max_length=255,
        blank=True,
        help_text="Its RabbitMQ user: requests by message are taken from this user only (README "
        "“Requests by message”). Empty: none.",
    )
    # {kind: [TokenAction, ...]}: what the token may do on each kind's targets and jobs, within
    # the account's permissions; written by services.service_accounts.set_scopes, which checks it.
    scopes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["broker_user"], condition=~Q(broker_user=""), name="one_account_per_broker_user"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def is_revoked(self):
        return self.revoked_at is not None


class IdempotencyKey(models.Model):
    """The job a client's `Idempotency-Key` created: the same key from the same client returns it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    job = models.ForeignKey(DeletionJob, on_delete=models.CASCADE, related_name="idempotency_keys")
    # What the key was first sent with: the same key for another target is a client's mistake.
    kind = models.CharField(max_length=32)
    target_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_client")]

    def __str__(self):
        return self.key


class OrphanSweep(models.Model):
    """One look for orphaned data (engine.orphans): when, who or what asked, what it found per
    kind, and the clean-up jobs it requested itself (only with ORPHAN_CLEANUP_AUTOMATIC)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Scheduled"
        PERSON = "person", "Sweep now"

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # {owner kind: {"owners": n, "refs": [orphaned owners], "capped": bool, "counts": {step: {entity: n}}, "total": n}}
    findings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    # {owner kind: job id} of the clean-up jobs this sweep requested
    cleanup_jobs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="orphan_sweep_latest")]

    def __str__(self):
        return f"orphan sweep {self.created_at:%Y-%m-%d %H:%M} ({self.get_trigger_display()})"

    @property
    def refusal(self) -> str:
        """Why the sweep refused its findings as implausible, per kind (engine.orphans.implausible):
        then no clean-up takes them."""
        return "; ".join(f"{kind}: {found['refusal']}" for kind, found in self.findings.items() if found.get("refusal"))

    @property
    def total(self) -> int:
        return sum(
            sum(sum(entities.values()) for entities in found.get("counts", {}).values())
            for found in self.findings.values()
        )


class PreviewRequest(models.Model):
    """A preview of one or many targets counted in the background (services.background_preview),
    so that no page or API call waits on a big count: each target's counts are written here as a
    worker finishes them, and the page and the API read them back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # [{"id", "label", "exists"}] of the targets found, in the order they are shown and counted.
    targets = models.JSONField(default=list)
    # The ids asked for that no target (and no earlier deletion) answers to.
    missing = models.JSONField(default=list, blank=True)
    # {target id: the stored preview (services.preview.Preview.stored)}, as each is counted.
    results = models.JSONField(default=dict, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="preview_request_created")]

    def __str__(self):
        return f"{self.kind} preview {self.pk} ({len(self.results)} of {len(self.targets)} counted)"

    @property
    def is_done(self) -> bool:
        return self.finished_at is not None

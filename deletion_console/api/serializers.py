from django.urls import reverse
from rest_framework import serializers

from deletion_console import identifiers
from deletion_console.engine.plan import kinds
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.jobs import job_snapshot
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import Preview
from deletion_console.web.presenters import grouped, in_plan_order


class ConfirmationSerializer(serializers.Serializer):
    # The target's name, typed by a person: the same guard as the confirm page. A service account
    # cannot type one and sends `preview_token` instead.
    confirm_name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    # The `preview_token` of the preview the caller looked at: the job is refused (409, with the
    # new counts) if what would be deleted has changed since. Required from service accounts.
    preview_token = serializers.CharField(max_length=4096, required=False, allow_blank=False)


def _target_id(value: str) -> None:
    if (reason := identifiers.problem(value)) is not None:
        raise serializers.ValidationError(reason)


class DeletionRequestSerializer(ConfirmationSerializer):
    kind = serializers.ChoiceField(choices=[])
    target_id = serializers.CharField(max_length=identifiers.MAX_LENGTH, validators=[_target_id])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per request: the plan registry lives in settings, which tests may override.
        self.fields["kind"].choices = kinds()


# ---- responses (what the views return, described for the OpenAPI schema) ----


def _counts(**kwargs):
    return serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()), **kwargs)


class PreviewEntitySerializer(serializers.Serializer):
    entity = serializers.CharField()
    store = serializers.CharField()
    expected = serializers.IntegerField()


class PreviewStepSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    entities = PreviewEntitySerializer(many=True)


class LeftBehindSerializer(serializers.Serializer):
    store = serializers.CharField()
    container = serializers.CharField()
    count = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    kind = serializers.CharField()
    target_id = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    exists = serializers.BooleanField()
    counts = _counts(help_text="What would be deleted: {step: {entity: n}}.")
    step_totals = serializers.DictField(child=serializers.IntegerField())
    store_totals = serializers.DictField(child=serializers.IntegerField())
    steps = PreviewStepSerializer(many=True)
    total = serializers.IntegerField()
    kept = serializers.ListField(child=serializers.CharField(), help_text="Shared data this kind never deletes.")
    left_behind = LeftBehindSerializer(many=True, help_text="Data holding the target's id that no step covers.")
    preview_token = serializers.CharField(
        help_text="Signed: the target, its name and these counts. Send it back with the deletion request."
    )


class PreviewRequestSerializer(serializers.Serializer):
    """A preview of many targets of one kind, counted in the background."""

    kind = serializers.ChoiceField(choices=[])
    target_ids = serializers.ListField(
        child=serializers.CharField(max_length=identifiers.MAX_LENGTH, validators=[_target_id]),
        allow_empty=False,
        help_text="The targets to count, each once; at most DELETION_BATCH_MAX_TARGETS.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds()


class PreviewProgressSerializer(serializers.Serializer):
    """How far a background preview is, and the previews counted so far."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["counting", "done", "failed"],
        help_text="`counting` until every target is counted; `failed` (with `error`) if a count could not be made.",
    )
    targets = serializers.IntegerField(help_text="How many targets are counted (those found).")
    counted = serializers.IntegerField(help_text="How many of them are counted so far.")
    progress = serializers.FloatField(help_text="Percent of the targets counted.")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Ids asked for that no target answers to: not counted."
    )
    error = serializers.CharField(allow_blank=True)
    previews = PreviewSerializer(
        many=True,
        help_text="The targets counted so far, in the order asked, each with its `preview_token`; all of "
        "them once `status` is `done`.",
    )
    status_url = serializers.CharField()


def preview_progress_data(state) -> dict:
    """`state`: a selectors.previews.PreviewState."""
    request = state.request
    return {
        "id": str(request.pk),
        "kind": request.kind,
        "status": state.status,
        "targets": state.targets,
        "counted": state.counted,
        "progress": round(100.0 * state.counted / state.targets, 1) if state.targets else 100.0,
        "missing": list(request.missing),
        "error": request.error,
        "previews": [preview_data(p) for p in state.previews],
        "status_url": reverse("api:preview-detail", args=[request.pk]),
    }


class StepResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    state = serializers.CharField()
    deleted = serializers.IntegerField()
    expected = serializers.IntegerField()
    counts = serializers.DictField(child=serializers.IntegerField())
    error = serializers.CharField(allow_blank=True)
    seconds = serializers.FloatField(allow_null=True)


class JobSerializer(serializers.Serializer):
    """A deletion job as the progress page shows it."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    target_id = serializers.CharField()
    target_label = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    current_step = serializers.CharField(allow_blank=True)
    progress = serializers.FloatField(help_text="Percent.")
    steps = serializers.DictField(
        child=serializers.DictField(), help_text="{step: {state, attempt, started_at, finished_at, seconds, ...}}"
    )
    counts = _counts(help_text="Deleted so far: {step: {entity: n}}.")
    preview = _counts(help_text="What the request was confirmed against: {step: {entity: n}}.")
    residue = _counts(help_text="What verify found left: {step: {entity: n}}.")
    error = serializers.CharField(allow_blank=True)
    warnings = serializers.ListField(child=serializers.CharField())
    cancel_requested = serializers.BooleanField()
    seq = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    total_deleted = serializers.IntegerField()
    total_expected = serializers.IntegerField()
    phases = serializers.DictField(child=serializers.CharField(), help_text="The state of steps run side by side.")
    services = StepResultSerializer(many=True, help_text="One per deletion step (a tenant's services).")
    services_total = serializers.IntegerField()
    services_completed = serializers.IntegerField()
    services_failed = serializers.IntegerField()


class BatchJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    target_id = serializers.CharField()
    target_label = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=JobStatus.choices)
    status_label = serializers.CharField()
    current_step = serializers.CharField(allow_blank=True)
    progress = serializers.FloatField(help_text="Percent.")
    total_deleted = serializers.IntegerField()
    total_expected = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)
    resumable = serializers.BooleanField()
    seq = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    """A bulk deletion: its jobs, and one progress figure over all of them."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    requested_by = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    max_running = serializers.IntegerField(help_text="How many of its jobs run at once; the rest wait as queued.")
    targets = serializers.IntegerField()
    progress = serializers.FloatField(help_text="Percent, weighted by each job's preview; 100 once all succeeded.")
    finished = serializers.BooleanField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    total_deleted = serializers.IntegerField()
    total_expected = serializers.IntegerField()
    jobs = BatchJobSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """An active job for the target (`job_id`, `status`), a job in the wrong state for the action,
    or a preview the data has changed since (`preview`: the current one, with a new token)."""

    detail = serializers.CharField()
    job_id = serializers.UUIDField(required=False)
    status = serializers.CharField(required=False)
    preview = PreviewSerializer(required=False)


def preview_data(preview: Preview) -> dict:
    return {
        "kind": preview.kind,
        "target_id": preview.target_id,
        "label": preview.label,
        "exists": preview.exists,
        "counts": preview.counts,
        "step_totals": preview.step_totals(),
        "store_totals": _store_totals(preview),
        "steps": [
            {
                "name": group["step"],
                "label": group["label"],
                "total": group["total"],
                "entities": [{k: row[k] for k in ("entity", "store", "expected")} for row in group["rows"]],
            }
            for group in grouped(preview.kind, preview.counts)
        ],
        "total": preview.total,
        "kept": list(preview.kept),
        "left_behind": [
            {"store": gap.store, "container": gap.container, "count": gap.count} for gap in preview.left_behind
        ],
        "preview_token": sign_preview(preview),
    }


def _store_totals(preview: Preview) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in in_plan_order(preview.kind, preview.counts):
        totals[row.store] = totals.get(row.store, 0) + row.n
    return totals


# ---- the seeds' shapes (/api/v1/...), for clients written against them ----

SEED_STATUS = {
    JobStatus.PENDING: "pending",
    JobStatus.RUNNING: "in_progress",
    JobStatus.SUCCEEDED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "cancelled",
}


class SeedStatusSerializer(serializers.Serializer):
    """A job in the shape of seed 000's `deletion:state:{request_id}`."""

    request_id = serializers.UUIDField()
    kind = serializers.CharField()
    target_id = serializers.CharField()
    campaign_id = serializers.CharField(allow_null=True, help_text="The target's id for a campaign, else null.")
    tenant_id = serializers.CharField(allow_null=True, help_text="The target's id for a tenant, else null.")
    status = serializers.ChoiceField(choices=sorted(set(SEED_STATUS.values())))
    current_step = serializers.CharField(allow_blank=True)
    progress_percentage = serializers.IntegerField()
    deleted_counts = _counts(help_text="{step: {entity: n}}")
    errors = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.CharField()
    job = JobSerializer(help_text="The whole job, as /api/deletions/{id}/ returns it.")


def seed_status(job: DeletionJob) -> dict:
    snapshot = job_snapshot(job)
    return {
        "request_id": str(job.pk),
        "kind": job.kind,
        "target_id": job.target_id,
        "campaign_id": job.target_id if job.kind == "campaign" else None,
        "tenant_id": job.target_id if job.kind == "tenant" else None,
        "status": SEED_STATUS[job.status],
        "current_step": job.current_phase,
        "progress_percentage": int(job.progress),
        "deleted_counts": job.counts,
        "errors": [job.error] if job.error else [],
        "warnings": list(job.warnings),
        "started_at": snapshot["started_at"],
        "completed_at": snapshot["finished_at"],
        "status_url": reverse("api:v1-status", args=[job.pk]),
        "job": snapshot,
    }


class SeedTenantDeletionSerializer(serializers.Serializer):
    """Seed 004's answer to DELETE /tenant/{id}: here the deletion is queued, not done."""

    message = serializers.CharField()
    request_id = serializers.UUIDField()
    summary = SeedStatusSerializer()


class SeedTenantPreviewSerializer(serializers.Serializer):
    """Seed 004's dry-run answer, with the console's counts per step and the preview token."""

    tenant_id = serializers.CharField()
    service = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    data_counts = serializers.DictField(child=serializers.IntegerField(), help_text="{entity: n}, over every step.")
    total_items = serializers.IntegerField()
    counts = _counts(help_text="{step: {entity: n}}")
    preview_token = serializers.CharField()


def seed_tenant_preview(preview: Preview) -> dict:
    flat: dict[str, int] = {}
    for entities in preview.counts.values():
        for entity, n in entities.items():
            flat[entity] = flat.get(entity, 0) + n
    return {
        "tenant_id": preview.target_id,
        "service": "deletion-console",
        "label": preview.label,
        "data_counts": flat,
        "total_items": preview.total,
        "counts": preview.counts,
        "preview_token": sign_preview(preview),
    }

"""The audit trail in the Django admin: read-only for everyone, superusers included.

Jobs are created by the deletion services and events are appended by them; nothing here adds,
changes or deletes either. The one write is the "resume" action, which goes through the service.
"""

from django.contrib import admin, messages
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from deletion_console.models import BulkRequest, DeletionJob, JobEvent, JobStatus, OrphanSweep
from deletion_console.permissions import REQUEST_DELETION
from deletion_console.selectors.audit import verify_chain
from deletion_console.selectors.jobs import jobs_needing_attention, stale_before
from deletion_console.services import jobs as job_services
from deletion_console.services.errors import DeletionRefused
from deletion_console.web.presenters import in_plan_order, progress_url, step_names


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Needs attention")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=jobs_needing_attention().values("pk"))
        return queryset


class JobEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = JobEvent
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("created_at", "id")
    fields = ("created_at", "step", "kind", "attempt", "seconds_display", "counts_display", "message")
    readonly_fields = fields

    @admin.display(description="duration")
    def seconds_display(self, event):
        return "" if event.seconds is None else f"{event.seconds:.2f} s"

    @admin.display(description="counts")
    def counts_display(self, event):
        return _flat_counts(event.counts)


def _flat_counts(counts: dict) -> str:
    return ", ".join(f"{key} {intcomma(value)}" for key, value in counts.items() if isinstance(value, int)) or "—"


def _counts_table(kind: str, counts: dict, expected: dict | None = None):
    """{store: {entity: n}} as a small table, numbers with thousands separators."""
    if not counts and not expected:
        return "—"
    rows = []
    for row in in_plan_order(kind, expected or counts):
        done = counts.get(row.step, {}).get(row.entity, 0) if expected is not None else row.n
        of = f" of {intcomma(row.n)}" if expected is not None else ""
        rows.append((row.step_label, row.entity, intcomma(done), of))
    body = format_html_join("", "<tr><td>{}</td><td><code>{}</code></td><td>{}{}</td></tr>", rows)
    return format_html('<table class="counts"><tbody>{}</tbody></table>', body)


@admin.register(DeletionJob)
class DeletionJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "short_id",
        "kind",
        "target",
        "status",
        "progress_display",
        "deleted_display",
        "requested_by",
        "created_at",
        "last_error",
    )
    list_display_links = ("short_id", "target")
    list_filter = (NeedsAttentionFilter, "status", "kind", "requested_by", "created_at")
    search_fields = ("target_id", "target_label")
    date_hierarchy = "created_at"
    list_select_related = ("requested_by",)
    list_per_page = 50
    actions = ("resume_selected",)
    inlines = (JobEventInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "kind",
                    "target_id",
                    "target_label",
                    "status",
                    "page_link",
                    "requested_by",
                    "bulk_request",
                )
            },
        ),
        ("Progress", {"fields": ("current_phase", "progress_display", "steps_display", "counts_display")}),
        ("Outcome", {"fields": ("error", "warnings_display", "residue_display")}),
        ("Audit trail", {"fields": ("audit_chain_display", "certificate_link")}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "heartbeat_at")}),
        ("Bookkeeping", {"classes": ("collapse",), "fields": ("run", "chunk", "seq", "cancel_requested")}),
    )
    readonly_fields = (
        "id",
        "kind",
        "target_id",
        "target_label",
        "status",
        "page_link",
        "requested_by",
        "bulk_request",
        "current_phase",
        "progress_display",
        "steps_display",
        "counts_display",
        "error",
        "warnings_display",
        "residue_display",
        "audit_chain_display",
        "certificate_link",
        "created_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "run",
        "chunk",
        "seq",
        "cancel_requested",
    )

    def has_request_deletion_permission(self, request):
        return request.user.has_perm(REQUEST_DELETION)

    @admin.display(description="job", ordering="created_at")
    def short_id(self, job):
        return str(job.pk)[:8]

    @admin.display(description="target", ordering="target_label")
    def target(self, job):
        return job.target_label or job.target_id

    @admin.display(description="progress", ordering="progress")
    def progress_display(self, job):
        return f"{job.progress:.0f} %"

    @admin.display(description="deleted")
    def deleted_display(self, job):
        return f"{intcomma(job.total_deleted)} of {intcomma(job.total_expected)}"

    @admin.display(description="last error")
    def last_error(self, job):
        if job.error:
            return Truncator(job.error).chars(120)
        last_error = job.step(job.current_phase).last_error
        if last_error:
            return Truncator(last_error).chars(120)
        if job.is_active and job.heartbeat_at and job.heartbeat_at < stale_before():
            return f"No heartbeat since {job.heartbeat_at:%Y-%m-%d %H:%M:%S}"
        return ""

    @admin.display(description="progress page")
    def page_link(self, job):
        return format_html('<a href="{}">Open the progress page</a>', progress_url(job))

    @admin.display(description="steps")
    def steps_display(self, job):
        rows = [
            (name, record.state, "" if record.seconds is None else f"{record.seconds:.2f} s")
            for name, record in ((name, job.step(name)) for name in step_names(job) if name in job.steps)
        ]
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html('<table class="steps"><tbody>{}</tbody></table>', body) if rows else "—"

    @admin.display(description="deleted of expected")
    def counts_display(self, job):
        return _counts_table(job.kind, job.counts, job.preview)

    @admin.display(description="residue found by verify")
    def residue_display(self, job):
        return _counts_table(job.kind, job.residue)

    @admin.display(description="hash chain")
    def audit_chain_display(self, job):
        report = verify_chain(job.pk)
        state, css = ("Intact", "chain-intact") if report.intact else ("Broken", "chain-broken")
        return format_html('<strong class="{}">{}</strong> — {}', css, state, report.detail())

    @admin.display(description="deletion certificate")
    def certificate_link(self, job):
        if job.status != JobStatus.SUCCEEDED:
            return "— (issued once the deletion has succeeded)"
        page, document = (reverse(name, args=[job.pk]) for name in ("jobs:certificate", "jobs:certificate-json"))
        return format_html('<a href="{}">Open the certificate</a> · <a href="{}">JSON</a>', page, document)

    @admin.display(description="warnings")
    def warnings_display(self, job):
        if not job.warnings:
            return "—"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in job.warnings)))

    @admin.action(description="Resume selected failed or cancelled jobs", permissions=["request_deletion"])
    def resume_selected(self, request, queryset):
        # The service decides what may be resumed, as it does for the pages and the API.
        resumed, skipped = 0, []
        for job in queryset.order_by("created_at"):
            try:
                job_services.resume(job.pk, request.user)
            except DeletionRefused as exc:
                skipped.append(f"{job.target_label or job.target_id}: {exc}")
            else:
                resumed += 1
        if resumed:
            self.message_user(request, f"Resumed {resumed} job{'s' if resumed != 1 else ''}.", messages.SUCCESS)
        if skipped:
            self.message_user(request, "Not resumed: " + "; ".join(skipped), messages.WARNING)


class BulkRequestJobInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeletionJob
    fk_name = "bulk_request"
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("created_at", "id")
    fields = ("target_id", "target_label", "status", "current_phase", "created_at", "finished_at")
    readonly_fields = fields


@admin.register(BulkRequest)
class BulkRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who asked for which targets' deletion at once, and how many of its jobs could run together."""

    list_display = ("id", "kind", "requested_by", "created_at", "max_running", "job_count")
    list_filter = ("kind", "requested_by", "created_at")
    date_hierarchy = "created_at"
    list_select_related = ("requested_by",)
    fields = ("id", "kind", "requested_by", "created_at", "max_running", "page_link")
    readonly_fields = fields
    inlines = (BulkRequestJobInline,)

    @admin.display(description="jobs")
    def job_count(self, bulk_request):
        return bulk_request.jobs.count()

    @admin.display(description="page")
    def page_link(self, bulk_request):
        return format_html('<a href="{}">Bulk request page</a>', reverse("jobs:batch", args=[bulk_request.pk]))


@admin.register(OrphanSweep)
class OrphanSweepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each look for orphaned data found; cleaning them is a job of its own (see Orphans)."""

    list_display = ("created_at", "trigger", "requested_by", "seconds", "total", "refusal", "error")
    list_filter = ("trigger", "created_at")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "trigger",
        "requested_by",
        "started_at",
        "finished_at",
        "seconds",
        "refusal",
        "findings",
        "cleanup_jobs",
        "error",
    )
    readonly_fields = fields

"""The Orphans page: what the latest sweep found per kind, "Sweep now", and "Clean up", which
leads to the ordinary confirm page of the kind's clean-up job and from there to its progress
page. Thin: reads through selectors.orphans, writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from deletion_console.engine import orphans as engine_orphans
from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import JobStatus
from deletion_console.permissions import can_request_deletion, deletion_permission_required
from deletion_console.selectors import orphans as orphan_selectors
from deletion_console.services import orphans as orphan_services
from deletion_console.services.errors import SweepRunning
from deletion_console.web.presenters import grouped, progress_url, store_totals
from deletion_console.web.targets import confirm_deletion

PAGE_TITLE = "Orphaned data"


@login_required
def orphans_page(request):
    sweep = orphan_selectors.latest_sweep()
    kinds = orphan_selectors.kinds_found(sweep)
    for row in kinds:
        row.groups = grouped(row.plan.kind, row.found["counts"])
        row.store_totals = store_totals(row.plan.kind, row.found["counts"])
        row.clean_url = reverse("orphans:clean", args=[row.owner.kind])
        row.job_url = progress_url(row.active_job or row.last_job) if (row.active_job or row.last_job) else ""
        # A clean-up that succeeded after the sweep took what it shows: offering it again would remove nothing.
        last = row.last_job
        row.cleaned_since = bool(
            sweep and last and last.status == JobStatus.SUCCEEDED and last.created_at > sweep.finished_at
        )
    context = {
        "sweep": sweep,
        "running": orphan_selectors.running_sweep(),
        "kinds": kinds,
        "total": sum(row.total for row in kinds),
        "can_act": can_request_deletion(request.user),
    }
    return render(request, "orphans/index.html", context)


@require_POST
@deletion_permission_required
def sweep_now(request):
    try:
        orphan_services.start_sweep(user=request.user)
    except SweepRunning as exc:
        messages.warning(request, str(exc))
    except orphan_services.SweepNotQueued as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Sweep started. It reads every store: reload this page in a moment for what it found.")
    return redirect("orphans:index")


@deletion_permission_required
def clean_up(request, kind):
    try:
        plan = get_plan(engine_orphans.orphan_kind(kind))
    except UnknownKind:
        raise Http404(f"No orphaned data of {kind!r} can be looked for.") from None
    return confirm_deletion(request, plan, kind, back=(reverse("orphans:index"), PAGE_TITLE))

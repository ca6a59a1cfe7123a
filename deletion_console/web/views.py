"""Job pages: the list, the live progress page, and the cancel / resume / run now / approve /
reject buttons. Thin: reads go through selectors, writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from deletion_console.models import DeletionJob, JobStatus
from deletion_console.permissions import (
    approval_permission_required,
    can_approve_deletion,
    can_request_deletion,
    deletion_permission_required,
)
from deletion_console.selectors.jobs import get_job, job_list, jobs_needing_attention, user_can_view_job
from deletion_console.services import approvals, schedule
from deletion_console.services import jobs as job_services
from deletion_console.services.errors import ActiveJobExists, DeletionRefused, JobStateError
from deletion_console.web.presenters import progress_context, progress_url

JOBS_PER_PAGE = 50
# "attention" is not a status: failed jobs plus active ones whose worker went quiet.
STATUS_FILTERS = [("", "All"), *JobStatus.choices, ("attention", "Needs attention")]


def visible_job(request, job_id) -> DeletionJob:
    """The job, for a user who may see it (404 or 403 otherwise): every job page asks this."""
    try:
        job = get_job(job_id)
    except DeletionJob.DoesNotExist:
        raise Http404("No such deletion job.") from None
    if not user_can_view_job(request.user, job):
        raise PermissionDenied("You may not see this deletion job.")
    return job


def seed_status(request, section, job_id):
    """Seed 000's progress route (/campaigns/deletion/<id>/status/): the job's own page, which
    checks who may see it."""
    return redirect("jobs:progress", job_id=job_id, permanent=True)


@login_required
def job_progress(request, job_id):
    job = visible_job(request, job_id)
    context = progress_context(job)
    context["can_act"] = can_request_deletion(request.user)
    # The requester is not offered what the service would refuse them.
    context["can_approve"] = can_approve_deletion(request.user) and job.requested_by_id != request.user.pk
    return render(request, "jobs/progress.html", context)


@login_required
def jobs(request):
    status = request.GET.get("status", "")
    if status == "attention":
        queryset = jobs_needing_attention().select_related("requested_by")
    else:
        valid = status in JobStatus.values
        queryset = job_list(status=status if valid else None)
        status = status if valid else ""
    if not (request.user.is_staff or can_request_deletion(request.user) or can_approve_deletion(request.user)):
        queryset = queryset.filter(requested_by=request.user)
    page = Paginator(queryset, JOBS_PER_PAGE).get_page(request.GET.get("page"))
    for job in page:
        job.progress_url = progress_url(job)
    return render(request, "jobs/list.html", {"page": page, "status": status, "filters": STATUS_FILTERS})


@require_POST
@deletion_permission_required
def cancel(request, job_id):
    job = visible_job(request, job_id)
    try:
        job_services.cancel(job.pk, request.user)
    except JobStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Cancel requested: the job stops after the batch it is working on.")
    return redirect(progress_url(job))


@require_POST
@deletion_permission_required
def resume(request, job_id):
    job = visible_job(request, job_id)
    try:
        job_services.resume(job.pk, request.user)
    except ActiveJobExists as exc:
        messages.error(request, str(exc))
        return redirect(progress_url(exc.job))
    except JobStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Resumed: the job continues from the step where it stopped.")
    return redirect(_back_to(request) or progress_url(job))


def _back_to(request) -> str | None:
    """The page a button was pressed on (the batch page resumes its jobs in place), if ours."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


@require_POST
@deletion_permission_required
def run_now(request, job_id):
    job = visible_job(request, job_id)
    try:
        schedule.run_now(job.pk, request.user)
    except JobStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Started before the end of its grace period.")
    return redirect(progress_url(job))


@require_POST
@approval_permission_required
def approve(request, job_id):
    job = visible_job(request, job_id)
    try:
        approvals.approve(job.pk, request.user)
    except DeletionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Approved.")
    return redirect(progress_url(job))


@require_POST
@approval_permission_required
def reject(request, job_id):
    job = visible_job(request, job_id)
    try:
        approvals.reject(job.pk, request.user, reason=request.POST.get("reason", "").strip()[:500])
    except DeletionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, "Rejected: nothing was deleted.")
    return redirect(progress_url(job))

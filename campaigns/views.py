"""Campaign pages: the list, and the confirm page that requests a deletion. Thin: reads through
campaigns.selectors and services.preview, the write through services.jobs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from campaigns.forms import CampaignSearchForm, ConfirmDeletionForm
from campaigns.selectors import KIND, campaign_page
from deletion_console.engine.plan import STORE_LABELS
from deletion_console.permissions import can_request_deletion, deletion_permission_required
from deletion_console.selectors.jobs import active_job_for
from deletion_console.services import jobs as job_services
from deletion_console.services.preview import preview
from deletion_console.stores import errors
from deletion_console.web.presenters import progress_url


def _store_unavailable(request, exc, template, context):
    # A store that is down is worth a readable page, not a server error.
    context["store_error"] = errors.describe(exc)
    return render(request, template, context, status=503)


@login_required
def campaign_list(request):
    form = CampaignSearchForm(request.GET or None)
    query, after, before = "", "", ""
    if form.is_valid():
        query, after, before = (form.cleaned_data[name] or "" for name in ("q", "after", "before"))
    context = {"form": form, "query": query, "can_delete": can_request_deletion(request.user)}
    try:
        page = campaign_page(query=query, after=after, before=before)
    except Exception as exc:
        if not errors.is_transient(exc):
            raise
        return _store_unavailable(request, exc, "campaigns/list.html", context)
    for row in page.rows:
        row.job_url = progress_url(row.job) if row.job else ""
    context["page"] = page
    return render(request, "campaigns/list.html", context)


def _redirect_to_running(request, job):
    messages.warning(request, f"A deletion of “{job.target_label or job.target_id}” is already {job.status}.")
    return redirect(progress_url(job))


@deletion_permission_required
def campaign_delete(request, campaign_id):
    running = active_job_for(KIND, campaign_id)
    if running is not None:
        return _redirect_to_running(request, running)
    try:
        current = preview(KIND, campaign_id)
    except Exception as exc:
        if not errors.is_transient(exc):
            raise
        return _store_unavailable(request, exc, "campaigns/confirm.html", {"campaign_id": campaign_id})
    if not current.exists:
        raise Http404(f"No campaign with id {campaign_id!r}.")
    form = ConfirmDeletionForm(request.POST or None, preview=current)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_services.request_deletion(
                kind=KIND, target_id=current.target_id, user=request.user, confirmed=current
            )
        except job_services.ActiveJobExists as exc:
            return _redirect_to_running(request, exc.job)
        except job_services.TargetNotFound as exc:
            raise Http404(str(exc)) from None
        except job_services.DeletionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Deletion of “{current.label}” requested.")
            return redirect(progress_url(job))
    return render(request, "campaigns/confirm.html", _confirm_context(current, form), status=_status(form))


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


def _confirm_context(current, form) -> dict:
    stores = [
        {
            "key": store,
            "label": STORE_LABELS.get(store, store),
            "entities": list(entities.items()),
            "total": sum(entities.values()),
        }
        for store, entities in current.counts.items()
    ]
    return {"preview": current, "stores": stores, "form": form, "campaign_id": current.target_id}

"""Bulk deletion pages: the combined preview and confirmation of many targets of one kind, and
the bulk request's page that follows them all. Thin: reads through selectors and
the page's preview (web.previews, counted in the background when it is not quick), the write
through services.bulk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from deletion_console import identifiers
from deletion_console.engine.plan import listing_page
from deletion_console.models import BulkRequest
from deletion_console.permissions import can_request_deletion, deletion_permission_required
from deletion_console.selectors.bulk import bulk_snapshot, get_bulk_request, user_can_view_bulk_request
from deletion_console.selectors.targets import matching_ids
from deletion_console.services import bulk
from deletion_console.services.errors import BulkRefused
from deletion_console.stores import errors
from deletion_console.web.forms import BulkConfirmForm
from deletion_console.web.previews import bulk_context, start
from deletion_console.web.targets import plan_for_page, store_unavailable

TEMPLATE = "targets/bulk_confirm.html"


@deletion_permission_required
def bulk_delete(request, section):
    plan = plan_for_page(section)
    context = {"plan": plan, "max_running": bulk.max_running()}
    if request.method == "POST":
        ids = [identifiers.check(target_id) for target_id in request.POST.getlist("target")]
        shown = dict(zip(ids, request.POST.getlist("shown"), strict=False))
        form = BulkConfirmForm(request.POST, count=len(ids))
        if form.is_valid():
            try:
                confirmations = bulk.confirmed_by_count(shown=shown, typed_count=form.cleaned_data["confirm_count"])
                requested = bulk.request_bulk(kind=plan.kind, confirmations=confirmations, user=request.user)
            except BulkRefused as exc:
                form.add_error(None, str(exc))
                context["problems"] = exc.problems
            else:
                messages.success(request, f"Deletion of {len(ids)} {plan.plural} requested.")
                return redirect("jobs:batch", batch_id=requested.pk)
    else:
        ids, context["left_out"] = _selected_ids(request, plan)
        form = None
        if len(ids) > bulk.max_targets() and request.GET.get("all"):
            context["refusal"] = (
                f"More than {bulk.max_targets()} {plan.plural} match; one bulk request deletes at most "
                f"{bulk.max_targets()}. Narrow the search, or delete them in several requests."
            )
            return render(request, TEMPLATE, context, status=400)
    # Shown anew after a refusal too: with the counts as they are now, signed again.
    try:
        state = start(request, plan, ids, single=False)
    except BulkRefused as exc:
        context["refusal"] = str(exc)
        return render(request, TEMPLATE, context, status=400)
    except Exception as exc:
        if not errors.is_transient(exc):
            raise
        return store_unavailable(request, exc, TEMPLATE, context)
    context.update(bulk_context(plan, state))
    context["form"] = form or BulkConfirmForm(count=state.targets)
    return render(request, TEMPLATE, context, status=400 if form is not None else 200)


def _selected_ids(request, plan) -> tuple[list[str], int]:
    """The ids ticked on the list page, or with `all`, every target the search matches."""
    if request.GET.get("all"):
        return matching_ids(listing_page(plan), query=request.GET.get("q", "").strip(), limit=bulk.max_targets())
    return [identifiers.check(target_id) for target_id in request.GET.getlist("ids")], 0


@login_required
def bulk_progress(request, batch_id):
    try:
        requested = get_bulk_request(batch_id)
    except BulkRequest.DoesNotExist:
        raise Http404("No such bulk deletion.") from None
    if not user_can_view_bulk_request(request.user, requested):
        raise PermissionDenied("You may not see this bulk deletion.")
    context = {
        "bulk_request": requested,
        "snapshot": bulk_snapshot(requested),
        "status_url": reverse("api:batch-detail", args=[requested.pk]),
        "can_act": can_request_deletion(request.user),
    }
    return render(request, "jobs/bulk_request.html", context)

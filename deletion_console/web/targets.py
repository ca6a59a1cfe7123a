"""The target pages of every kind: the list and the confirm page that requests a deletion.

One view each, for every kind: what differs (the noun, where the list comes from, its columns,
how the preview groups) is read from the kind's plan. Thin: reads through the plan's list
selector and the page's preview (web.previews), the write through services.jobs.
"""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from deletion_console.api.throttling import allow_page_preview
from deletion_console.engine.plan import UnknownKind, listing_page, plan_for_section
from deletion_console.permissions import can_request_deletion, deletion_permission_required
from deletion_console.selectors.jobs import active_job_for
from deletion_console.services import jobs as job_services
from deletion_console.services.errors import (
    ActiveJobExists,
    DeletionRefused,
    NameMismatch,
    PreviewChanged,
    TargetNotFound,
)
from deletion_console.stores import errors
from deletion_console.web.forms import ConfirmDeletionForm, TargetSearchForm
from deletion_console.web.presenters import progress_url
from deletion_console.web.previews import single_context, start, target_of


def plan_for_page(section: str):
    try:
        return plan_for_section(section)
    except UnknownKind:
        raise Http404(f"No such page: /{section}/") from None


def store_unavailable(request, exc, template, context):
    # A store that is down is worth a readable page, not a server error.
    context["store_error"] = errors.describe(exc)
    return render(request, template, context, status=503)


@login_required
def target_list(request, section):
    plan = plan_for_page(section)
    form = TargetSearchForm(request.GET or None)
    query, after, before = "", "", ""
    if form.is_valid():
        query, after, before = (form.cleaned_data[name] or "" for name in ("q", "after", "before"))
    context = {"plan": plan, "form": form, "query": query, "can_delete": can_request_deletion(request.user)}
    try:
        page = listing_page(plan)(query=query, after=after, before=before)
    except Exception as exc:
        if not errors.is_transient(exc):
            raise
        return store_unavailable(request, exc, "targets/list.html", context)
    for row in page.rows:
        row.job_url = progress_url(row.job) if row.job else ""
        row.values = [(column, row.cells.get(column.key)) for column in plan.listing.columns]
    context["page"] = page
    return render(request, "targets/list.html", context)


def _too_many_previews(request, wait: float | None):
    seconds = math.ceil(wait) if wait else 60
    response = render(request, "429.html", {"seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _redirect_to_running(request, job):
    messages.warning(request, f"A deletion of “{job.target_label or job.target_id}” is already {job.status}.")
    return redirect(progress_url(job))


@deletion_permission_required
def target_delete(request, section, target_id):
    plan = plan_for_page(section)
    back = (reverse("targets:list", args=[plan.listing.section]), plan.listing.title)
    return confirm_deletion(request, plan, target_id, back=back)


def confirm_deletion(request, plan, target_id, *, back: tuple[str, str]):
    """The confirm page of any kind's target, and its POST: `back` is the (url, title) of the
    page it was reached from (a kind's list, the Orphans page).

    The page never waits on a big count (web.previews): it shows what is counted within
    DELETION_PREVIEW_INLINE_SECONDS and the browser fills in the rest as the workers count it.
    """
    running = active_job_for(plan.kind, target_id)
    if running is not None:
        return _redirect_to_running(request, running)
    if request.method == "GET":
        allowed, wait = allow_page_preview(request)
        if not allowed:
            return _too_many_previews(request, wait)
    context = {"plan": plan, "target_id": target_id, "back_url": back[0], "back_title": back[1]}
    form = ConfirmDeletionForm(request.POST or None, noun=plan.noun)
    if request.method == "POST" and form.is_valid():
        confirmation = job_services.Confirmation(form.cleaned_data["confirm_name"], form.cleaned_data["shown"] or "")
        try:
            job = job_services.request_deletion(
                kind=plan.kind, target_id=target_id, confirmation=confirmation, user=request.user
            )
        except ActiveJobExists as exc:
            return _redirect_to_running(request, exc.job)
        except TargetNotFound as exc:
            raise Http404(str(exc)) from None
        except NameMismatch as exc:
            form.add_error("confirm_name", str(exc))
        except PreviewChanged as exc:
            # Counted just now by the check itself: shown at once, with a signature of these counts.
            form.add_error(None, str(exc))
            context.update(single_context(plan, exc.current, None, current=exc.current))
            context.update(_page_context(context, form))
            return render(request, "targets/confirm.html", context, status=400)
        except DeletionRefused as exc:
            form.add_error(None, str(exc))
        except Exception as exc:
            if not errors.is_transient(exc):
                raise
            return store_unavailable(request, exc, "targets/confirm.html", context)
        else:
            messages.success(request, f"Deletion of “{job.target_label or job.target_id}” requested.")
            return redirect(progress_url(job))
    try:
        state = start(request, plan, [target_id], single=True)
    except TargetNotFound as exc:
        raise Http404(str(exc)) from None
    except Exception as exc:
        if not errors.is_transient(exc):
            raise
        return store_unavailable(request, exc, "targets/confirm.html", context)
    context.update(single_context(plan, target_of(plan, state), state))
    context.update(_page_context(context, form))
    if context.get("shown") and not form.is_bound:
        # The form's record of what it was shown, as the hidden field beside the counts sends it.
        form.fields["shown"].initial = context["shown"]
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "targets/confirm.html", context, status=status)


def _page_context(context: dict, form) -> dict:
    return {"form": form, "target_id": context["target"].target_id}

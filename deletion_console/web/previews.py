"""The counts of the confirm pages, single and bulk, as they arrive: the part of each page that
the browser asks for again (static/js/preview.js) until every target has been counted.

Each answer renders the same fragment as the page itself, from the counts stored so far, with
each counted target's signature beside its counts: what the form carries is what is shown.
Thin: reads through selectors.previews.
"""

from django.conf import settings
from django.http import Http404, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse

from deletion_console.engine.plan import get_plan
from deletion_console.models import PreviewRequest
from deletion_console.permissions import deletion_permission_required
from deletion_console.selectors.previews import PreviewState, get_preview_request, preview_state, user_can_view_preview
from deletion_console.services import safeguards
from deletion_console.services.background_preview import start_preview
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import Preview
from deletion_console.web.presenters import grouped, store_sentence, store_totals

SINGLE = "targets/_confirm_counts.html"
BULK = "targets/_bulk_counts.html"


def start(request, plan, target_ids: list[str], *, single: bool) -> PreviewState:
    """The page's preview: counted at once if that is quick, else filled in by the workers."""
    started = start_preview(
        kind=plan.kind,
        target_ids=target_ids,
        user=request.user,
        inline_seconds=settings.DELETION_PREVIEW_INLINE_SECONDS,
        single=single,
    )
    return preview_state(started)


def progress_text(plan, state: PreviewState) -> str:
    noun = plan.noun if state.targets == 1 else plan.plural
    return f"counting {state.counted} of {state.targets} {noun}"


def _base(plan, state: PreviewState | None, page: str) -> dict:
    if state is None:
        return {"plan": plan, "done": True, "poll_url": "", "preview_error": ""}
    query = f"?page={page}"
    return {
        "plan": plan,
        "done": state.done and not state.request.error,
        "preview_error": state.request.error,
        "counted": state.counted,
        "targets_total": state.targets,
        "progress_text": progress_text(plan, state),
        "poll_url": reverse("targets:preview-progress", args=[state.request.pk]) + query,
    }


def single_context(plan, target: Preview, state: PreviewState | None, *, current: Preview | None = None) -> dict:
    """`current`: a preview counted just now (a request refused for changed counts) instead of `state`."""
    context = _base(plan, state, "single")
    context["target"] = target
    context["stores_sentence"] = store_sentence(plan)
    counted = current or (state.previews[0] if state and state.previews and state.done else None)
    context["button_label"] = f"Delete this {plan.noun}"
    if counted is None:
        return context
    guards = safeguards.for_request(plan.kind, counted.total)
    context.update(
        {
            "preview": counted,
            "shown": sign_preview(counted),
            "groups": grouped(plan.kind, counted.counts),
            "store_totals": store_totals(plan.kind, counted.counts),
            "safeguards": guards,
        }
    )
    if guards.holds:
        context["button_label"] = f"Request deletion of this {plan.noun}"
    return context


def target_of(plan, state: PreviewState) -> Preview:
    first = state.request.targets[0]
    return Preview(
        kind=plan.kind,
        target_id=first["id"],
        label=first["label"],
        exists=first.get("exists", True),
        noun=plan.noun,
        kept=plan.kept,
    )


def bulk_context(plan, state: PreviewState) -> dict:
    context = _base(plan, state, "bulk")
    counted = {p.target_id: p for p in state.previews}
    steps = [(step.name, step.label) for step in plan.deletion_steps]
    rows = []
    for target in state.request.targets:
        found = counted.get(target["id"])
        rows.append(
            {
                "target_id": target["id"],
                "label": target["label"],
                "preview": found,
                # Each target's counts are signed as shown: the request starts only against what was seen.
                "shown": sign_preview(found) if found else "",
                "step_values": [found.step_totals().get(name, 0) for name, _ in steps] if found else [],
            }
        )
    summed = _summed(state.previews)
    context.update(
        {
            "rows": rows,
            "steps": steps,
            "missing": state.request.missing,
            "groups": grouped(plan.kind, summed),
            "store_totals": store_totals(plan.kind, summed),
            "grand_total": sum(p.total for p in state.previews),
            "max_running": settings.DELETION_BATCH_MAX_RUNNING,
        }
    )
    return context


def _summed(previews: list[Preview]) -> dict[str, dict[str, int]]:
    summed: dict[str, dict[str, int]] = {}
    for p in previews:
        for step, entities in p.counts.items():
            for entity, n in entities.items():
                summed.setdefault(step, {}).setdefault(entity, 0)
                summed[step][entity] += n
    return summed


@deletion_permission_required
def preview_progress(request, preview_id):
    """JSON for the page's poll: how far the counting is, and the counts fragment as it stands."""
    try:
        found = get_preview_request(preview_id)
    except PreviewRequest.DoesNotExist:
        raise Http404("No such preview.") from None
    if not user_can_view_preview(request.user, found):
        raise Http404("No such preview.")
    plan = get_plan(found.kind)
    state = preview_state(found)
    if request.GET.get("page") == "bulk":
        context, template = bulk_context(plan, state), BULK
    else:
        context, template = single_context(plan, target_of(plan, state), state), SINGLE
    return JsonResponse(
        {
            "status": state.status,
            "done": context["done"],
            "counted": state.counted,
            "targets": state.targets,
            "progress": progress_text(plan, state),
            "error": state.request.error,
            "button": context.get("button_label", ""),
            "html": render_to_string(template, context, request=request),
        }
    )

"""Bulk deletion: many targets of one kind requested at once, as one recorded bulk request.

The person sees one combined preview and confirms by typing how many targets it deletes. Each
target still gets its own job through `jobs.request_deletion`, under the same rules as a single
request; the bulk request only records who asked for which jobs, and bounds how many of them
run at once: the others wait as `queued` and start, oldest first, as running ones end
(lifecycle.admit and lifecycle.release_queued, whichever way a job comes to start).
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from deletion_console.engine.plan import get_plan
from deletion_console.models import BulkRequest
from deletion_console.services import jobs, lifecycle
from deletion_console.services.errors import BulkRefused, DeletionRefused
from deletion_console.services.preview import Preview, preview

log = logging.getLogger(__name__)


@dataclass
class BulkPreview:
    kind: str
    previews: list[Preview]
    missing: list[str] = field(default_factory=list)  # ids no target (and no earlier deletion) answers to

    @property
    def total(self) -> int:
        return sum(p.total for p in self.previews)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Per step and entity, summed over the targets, in the plan's order."""
        summed: dict[str, dict[str, int]] = {}
        for p in self.previews:
            for step, entities in p.counts.items():
                for entity, n in entities.items():
                    summed.setdefault(step, {}).setdefault(entity, 0)
                    summed[step][entity] += n
        return summed


def max_targets() -> int:
    return settings.DELETION_BATCH_MAX_TARGETS


def max_running() -> int:
    return settings.DELETION_BATCH_MAX_RUNNING


def unique_ids(target_ids) -> list[str]:
    return list(dict.fromkeys(str(t).strip() for t in target_ids if str(t).strip()))


def preview_bulk(*, kind: str, target_ids: list[str]) -> BulkPreview:
    get_plan(kind)  # an unknown kind is refused before any store is asked
    ids = unique_ids(target_ids)
    _check_size(ids)
    found, missing = [], []
    for target_id in ids:
        current = preview(kind, target_id)
        (found if current.exists else missing).append(current if current.exists else target_id)
    if not found:
        raise BulkRefused(f"None of the {len(ids)} selected targets was found; they may have been deleted already.")
    return BulkPreview(kind=kind, previews=found, missing=missing)


def _check_size(ids: list[str]) -> None:
    if not ids:
        raise BulkRefused("Select at least one target.")
    if len(ids) > max_targets():
        raise BulkRefused(
            f"{len(ids)} targets selected; one bulk request deletes at most {max_targets()}. "
            "Narrow the search or select fewer."
        )


def confirmed_by_count(*, shown: dict[str, str], typed_count: str) -> dict[str, jobs.Confirmation]:
    """The page's confirmation: the number of targets typed, and each target's signed preview as
    the person was shown it (a target whose data changed since refuses the batch)."""
    if typed_count.strip() != str(len(shown)):
        raise BulkRefused(f"Type the number of targets, {len(shown)}, to confirm.")
    return {target_id: jobs.Confirmation(shown=token, in_bulk=True) for target_id, token in shown.items()}


def request_bulk(
    *, kind: str, confirmations: dict[str, jobs.Confirmation], user=None, limit: int | None = None
) -> BulkRequest:
    """Create the bulk request and one job per target, each under the same rules as a single
    request (`jobs.check_request`, with its own confirmation), all or none: a target that cannot
    be requested (already being deleted, gone, its data changed since it was shown) refuses the
    whole request, naming each such target, so nothing is requested that nobody saw."""
    ids = list(confirmations)
    _check_size(ids)
    problems: dict[str, str] = {}
    # One request: its targets are hidden for their grace periods only once all of it committed.
    with lifecycle.one_request(), transaction.atomic():
        bulk = BulkRequest.objects.create(kind=kind, requested_by=_person(user), max_running=limit or max_running())
        for target_id in ids:
            try:
                jobs.request_deletion(
                    kind=kind, target_id=target_id, confirmation=confirmations[target_id], user=user, bulk_request=bulk
                )
            except DeletionRefused as exc:
                problems[target_id] = str(exc)
        if problems:
            # Raised inside the transaction: the bulk request and every job already created roll
            # back, and their first chunks and hides, which wait for the commit, never happen.
            raise BulkRefused(_refusal(problems), problems)
    log.info("bulk deletion of %s %s requested as bulk request %s", len(ids), get_plan(kind).plural, bulk.pk)
    return bulk


def _refusal(problems: dict[str, str]) -> str:
    n = len(problems)
    return f"Nothing was requested: {n} target{'s' if n != 1 else ''} could not be. Review the list and confirm again."


def _person(user):
    return user if user is not None and user.is_authenticated else None

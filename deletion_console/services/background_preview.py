"""Previews that never keep a page waiting: many targets' counts, filled in as they are made.

A count costs what the stores make it cost (with FerretDB, the size of a whole collection, not
only the target's share), so the page cannot know in advance whether it will be quick. It
therefore waits for the counts only up to DELETION_PREVIEW_INLINE_SECONDS; what is not counted
by then is counted by the workers, target after target, each written to the PreviewRequest as
it is done, and the page and the API read them back until all are there.

The counts are always `services.preview.preview`'s, target by target: the same plan items
that delete are the ones that count, wherever they run.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from deletion_console import dispatch
from deletion_console.engine.plan import get_plan
from deletion_console.models import PreviewRequest
from deletion_console.selectors.jobs import last_success_for
from deletion_console.services.errors import BulkRefused, NoTargetFound, TargetNotFound
from deletion_console.services.preview import Preview, identify, preview
from deletion_console.stores import errors

log = logging.getLogger(__name__)

# Counts started for a page but not finished within its wait run on here and are dropped
# (a thread cannot be stopped mid-query); two at most, so reloads cannot pile them up: a page
# that finds both busy hands all its targets to the workers at once.
_inline = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inline-preview")


def lanes() -> int:
    return max(1, settings.DELETION_PREVIEW_LANES)


def start_preview(
    *, kind: str, target_ids: list[str], user=None, inline_seconds: float = 0.0, single: bool = False
) -> PreviewRequest:
    """Record a preview of the targets, count what can be counted within `inline_seconds`,
    and hand the rest to the workers (once this transaction commits).

    Targets are found first (one lookup each, whatever their size): an id no target answers to
    is `missing` (or, `single`, refused with TargetNotFound, unless an earlier job deleted it,
    as `jobs.check_request` allows). None found at all refuses the preview (BulkRefused).
    """
    plan = get_plan(kind)  # an unknown kind is refused before any store is asked
    ids = list(dict.fromkeys(str(t).strip() for t in target_ids if str(t).strip()))
    _check_size(ids)
    found: list[Preview] = []
    missing: list[str] = []
    for target_id in ids:
        target = identify(kind, target_id)
        if target.exists or (single and last_success_for(kind, target.target_id) is not None):
            found.append(target)
        elif single:
            raise TargetNotFound(f"No {plan.noun} with id {target_id!r} was found.")
        else:
            missing.append(target_id)
    if not found:
        raise NoTargetFound(f"None of the {len(ids)} selected targets was found; they may have been deleted already.")
    _forget_old()
    counted = _count_within(kind, [t.target_id for t in found], inline_seconds)
    request = PreviewRequest.objects.create(
        kind=kind,
        requested_by=user if user is not None and user.is_authenticated else None,
        targets=[{"id": t.target_id, "label": t.label, "exists": t.exists} for t in found],
        missing=missing,
        results={p.target_id: p.stored() for p in counted},
        finished_at=timezone.now() if len(counted) == len(found) else None,
    )
    # Counted in order, so what is left is everything from the first uncounted target on.
    first = len(counted)
    for index in range(first, min(first + lanes(), len(found))):
        dispatch.queue_preview_count(str(request.pk), index)
    return request


def _check_size(ids: list[str]) -> None:
    if not ids:
        raise BulkRefused("Select at least one target.")
    if len(ids) > settings.DELETION_BATCH_MAX_TARGETS:
        raise BulkRefused(
            f"{len(ids)} targets selected; one preview counts at most {settings.DELETION_BATCH_MAX_TARGETS}. "
            "Narrow the search or select fewer."
        )


def _count_within(kind: str, target_ids: list[str], seconds: float) -> list[Preview]:
    """The previews of the first targets, in order, that could be counted within `seconds`."""
    if seconds <= 0:
        return []
    deadline = time.monotonic() + seconds
    done: list[Preview] = []
    lock = threading.Lock()
    over = threading.Event()

    def count_in_order():
        try:
            for target_id in target_ids:
                if over.is_set():
                    return
                counted = preview(kind, target_id)
                with lock:
                    # Finished after the page stopped waiting: the workers count this one again.
                    if over.is_set():
                        return
                    done.append(counted)
        finally:
            # A kind's target may be read from the console's database (an orphan clean-up reads
            # its sweep): this thread outlives the request, so its connection must not.
            connections.close_all()

    future = _inline.submit(count_in_order)
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        pass
    except Exception as exc:
        # A store that does not answer quickly is the workers' to retry, not the page's to fail on.
        if not errors.is_transient(exc):
            raise
    with lock:
        over.set()
        future.cancel()  # still waiting for a thread: it never starts
        return list(done)


def count_target(*, preview_id: str, index: int) -> None:
    """Count the `index`-th target of a preview (unless it already is) and store it, then queue
    this lane's next target: lanes run side by side, and each target is a task of its own at the
    back of the queue, so a long preview shares the workers with the deletions."""
    request = PreviewRequest.objects.filter(pk=preview_id).first()
    if request is None or request.error or index >= len(request.targets):
        return  # forgotten, failed or done: nothing left for this lane
    target_id = request.targets[index]["id"]
    if target_id not in request.results:
        try:
            counted = preview(request.kind, target_id)
        except Exception as exc:
            _record_failure(preview_id, exc)
            if errors.is_transient(exc):
                return
            raise
        _store(preview_id, counted)
    following = index + lanes()
    if following < len(request.targets):
        dispatch.queue_preview_count(preview_id, following)


def _store(preview_id: str, counted: Preview) -> None:
    # Under the row's lock: the lanes write their targets into the same row.
    with transaction.atomic():
        request = PreviewRequest.objects.select_for_update().filter(pk=preview_id).first()
        if request is None:
            return
        request.results[counted.target_id] = counted.stored()
        if len(request.results) >= len(request.targets) and request.finished_at is None:
            request.finished_at = timezone.now()
        request.save(update_fields=["results", "finished_at"])


def _record_failure(preview_id: str, exc: Exception) -> None:
    if errors.is_transient(exc):
        reason = f"A store did not answer, so the preview could not be counted: {errors.describe(exc)}"
    else:
        log.exception("preview %s failed", preview_id)
        reason = "The preview could not be counted because of an error; it is logged."
    PreviewRequest.objects.filter(pk=preview_id, error="").update(error=reason)


def _forget_old() -> None:
    # Kept no longer than the signatures they carry stay useful (services.confirmation).
    horizon = timezone.now() - timedelta(seconds=settings.DELETION_PREVIEW_KEEP_SECONDS)
    PreviewRequest.objects.filter(created_at__lt=horizon).delete()

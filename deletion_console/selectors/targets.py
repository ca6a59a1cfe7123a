"""What every kind's target list shares: a page of rows, each with its deletion job.

A kind's list selector (named by its plan's Listing) returns a TargetPage of rows that have an
`id`, a `label`, the `cells` its Listing's columns name, and `is_deleting`; the page and the
template are the same for every kind.
"""

from dataclasses import dataclass, field

from deletion_console.models import DeletionJob
from deletion_console.selectors.jobs import active_jobs_by_target


@dataclass
class TargetPage:
    rows: list
    has_next: bool
    has_previous: bool = False
    query: str = ""
    matched_id: bool = False
    next_cursor: str = ""
    previous_cursor: str = ""
    extra: dict = field(default_factory=dict)


def attach_jobs(kind: str, rows: list) -> list:
    """Each row's active job, or for one left hidden ("deleting") by an ended job, that job."""
    jobs = active_jobs_by_target(kind, [row.id for row in rows])
    orphaned = [row.id for row in rows if row.is_deleting and row.id not in jobs]
    if orphaned:
        jobs = {**latest_jobs_by_target(kind, orphaned), **jobs}
    for row in rows:
        row.job = jobs.get(row.id)
    return rows


def latest_jobs_by_target(kind: str, target_ids) -> dict[str, DeletionJob]:
    latest: dict[str, DeletionJob] = {}
    for job in DeletionJob.objects.filter(kind=kind, target_id__in=list(target_ids)).order_by("-created_at"):
        latest.setdefault(job.target_id, job)
    return latest


def matching_ids(page_of, *, query: str, limit: int) -> tuple[list[str], int]:
    """Up to `limit` + 1 ids of the targets a list search matches that are not being deleted,
    walking the list's pages (one more than the limit tells the caller there are too many),
    and how many matches were passed over because a deletion of them is already active."""
    ids: list[str] = []
    busy = 0
    after = ""
    while len(ids) <= limit:
        page = page_of(query=query, after=after, before="")
        for row in page.rows:
            if row.job is not None and row.job.is_active:
                busy += 1
            else:
                ids.append(row.id)
        if not page.has_next or not page.rows:
            break
        after = page.next_cursor
    return ids[: limit + 1], busy

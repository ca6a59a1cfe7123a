"""Reads for the campaign list: MongoDB's `campaigns` collection, plus the console's own jobs.

Paging is by natural order with skip/limit, fetching one row more than a page to know whether
another follows; nothing counts the collection. Why, measured through `campaign_page` on the
test stack's FerretDB 1.24 (SQLite) with 10,000 campaigns (10 % legacy), median of 7:

- default page 13 ms, page 2 17 ms; then linear in the skip: page 11 59 ms, page 41 190 ms,
  page 101 440 ms, the last (page 200) 790 ms. FerretDB pushes LIMIT down to SQLite only for a
  query with no filter, no sort and no skip; otherwise it decodes and filters in Go.
- what was not taken, first page each: sort on `_id` 860 ms, keyset `_id < last` 640 ms,
  sort on `created_at` 540 ms, `count_documents` 520 ms: any sort or any filter other than
  `{_id: value}` decodes the whole collection, on every page.
- search by exact id 58 ms: `{_id: value}` is the one filter FerretDB hands to SQLite (still a
  scan there, about 3 us a row), while `{_id: {$in: [...]}}` is a Go-side scan (260 ms); so
  each candidate key is tried on its own. Search by part of a name: 80 ms when the page fills
  early, a full scan (about 1 s) when few or none match; MongoDB scans for it too.
On MongoDB, natural order is also the cheap one (no index, no sort), and skip stays linear.
"""

from dataclasses import dataclass

from django.conf import settings

from deletion_console.models import DeletionJob
from deletion_console.selectors.jobs import active_jobs_by_target
from deletion_console.stores import mongo

KIND = "campaign"
PAGE_SIZE = 50
# Only what the list shows: legacy campaigns also carry arrays of every child id.
LIST_FIELDS = {"name": 1, "owner_id": 1, "is_new_format": 1, "status": 1, "created_at": 1}
# Characters with a meaning in a regular expression, in both PCRE (MongoDB) and RE2 (FerretDB).
# Python's re.escape also escapes spaces, which RE2 refuses.
_REGEX_SPECIALS = set(r"\.^$*+?()[]{}|-/")


@dataclass
class CampaignRow:
    id: str
    name: str
    owner_id: str
    is_new_format: bool
    created_at: object
    status: str
    job: DeletionJob | None = None

    @property
    def is_deleting(self) -> bool:
        return self.status == "deleting" or (self.job is not None and self.job.is_active)


@dataclass
class CampaignPage:
    rows: list[CampaignRow]
    number: int
    has_next: bool
    query: str = ""
    matched_id: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def _collection():
    return mongo.database(settings.MONGODB_DB)["campaigns"]


def _escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _REGEX_SPECIALS else c for c in text)


def _row(doc: dict) -> CampaignRow:
    return CampaignRow(
        id=str(doc["_id"]),
        name=str(doc.get("name") or ""),
        owner_id=str(doc.get("owner_id") or ""),
        is_new_format=bool(doc.get("is_new_format", True)),
        created_at=doc.get("created_at"),
        status=str(doc.get("status") or "active"),
    )


def find_by_id(campaign_id: str) -> dict | None:
    """One campaign by a typed id, which may be an ObjectId's hex or a legacy string _id.

    One exact lookup per candidate key: FerretDB hands `{_id: value}` to SQLite but decodes the
    whole collection for `{_id: {$in: [...]}}`, several times slower.
    """
    for key in mongo.key_candidates(campaign_id.strip()):
        doc = _collection().find_one({"_id": key}, LIST_FIELDS)
        if doc is not None:
            return doc
    return None


def campaign_page(*, query: str = "", page: int = 1) -> CampaignPage:
    """One page of campaigns with their deletion jobs; `query` is an exact id or part of a name."""
    query = query.strip()
    page = max(1, page)
    if query:
        doc = find_by_id(query)
        if doc is not None:
            return _with_jobs(CampaignPage(rows=[_row(doc)], number=1, has_next=False, query=query, matched_id=True))
    mongo_filter = {"name": {"$regex": _escape(query), "$options": "i"}} if query else {}
    cursor = _collection().find(mongo_filter, LIST_FIELDS, skip=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    docs = list(cursor)
    rows = [_row(d) for d in docs[:PAGE_SIZE]]
    return _with_jobs(CampaignPage(rows=rows, number=page, has_next=len(docs) > PAGE_SIZE, query=query))


def _with_jobs(page: CampaignPage) -> CampaignPage:
    """Attach each campaign's active job, or for one left "deleting" by an ended job, that job."""
    ids = [row.id for row in page.rows]
    jobs = active_jobs_by_target(KIND, ids)
    orphaned = [row.id for row in page.rows if row.status == "deleting" and row.id not in jobs]
    if orphaned:
        jobs = {**latest_jobs_by_target(KIND, orphaned), **jobs}
    for row in page.rows:
        row.job = jobs.get(row.id)
    return page


def latest_jobs_by_target(kind: str, target_ids) -> dict[str, DeletionJob]:
    latest: dict[str, DeletionJob] = {}
    for job in DeletionJob.objects.filter(kind=kind, target_id__in=list(target_ids)).order_by("-created_at"):
        latest.setdefault(job.target_id, job)
    return latest

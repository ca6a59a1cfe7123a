"""Reads for the campaign list: MongoDB's `campaigns` collection, plus the console's own jobs.

Pages are keyset-paginated on `_id`: a page is the PAGE_SIZE campaigns after (or before) the
last one shown, fetched with one more to know whether another page follows; nothing counts or
skips. On MongoDB that is an index walk whatever the page. Search is by exact id (one exact
lookup per candidate key type) or by the start of the name, case-insensitive.

Measured on the bundled FerretDB 1.24 (PostgreSQL backend), 10,000 campaigns: FerretDB pushes
neither sorts nor ranges down, so each page decodes the whole collection in Go, about the same
for every page (see the issue notes for the figures); skip/limit in natural order was 3 ms for
the first page but grew linearly with the page number.
"""

from dataclasses import dataclass

from bson import ObjectId
from django.conf import settings

from deletion_console.models import DeletionJob
from deletion_console.selectors.targets import TargetPage, attach_jobs
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
    key: object = None  # the _id with its BSON type, which the page cursors carry
    job: DeletionJob | None = None

    @property
    def is_deleting(self) -> bool:
        return self.status == "deleting" or (self.job is not None and self.job.is_active)

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def cells(self) -> dict:
        # The columns campaigns.plan's Listing declares.
        return {
            "id": self.id,
            "format": "New" if self.is_new_format else "Legacy",
            "owner_id": self.owner_id,
            "created_at": self.created_at,
        }


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
        key=doc["_id"],
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


def campaign_page(*, query: str = "", after: str = "", before: str = "") -> TargetPage:
    """One page of campaigns with their deletion jobs: the first, or the one after or before a
    cursor from an earlier page. `query` is an exact id or the start of a name."""
    query = query.strip()
    if query:
        doc = find_by_id(query)
        if doc is not None:
            return _with_jobs(TargetPage(rows=[_row(doc)], has_next=False, query=query, matched_id=True))
    conditions = [{"name": {"$regex": "^" + _escape(query), "$options": "i"}}] if query else []
    backwards = bool(before) and not after
    anchor = key_of(before if backwards else after)
    if anchor is not None:
        conditions.append(_beyond(anchor, backwards))
    mongo_filter = {"$and": conditions} if len(conditions) > 1 else (conditions[0] if conditions else {})
    cursor = _collection().find(mongo_filter, LIST_FIELDS).sort("_id", -1 if backwards else 1).limit(PAGE_SIZE + 1)
    docs = list(cursor)
    more = len(docs) > PAGE_SIZE
    rows = [_row(d) for d in docs[:PAGE_SIZE]]
    if backwards:
        rows.reverse()
    return _with_jobs(
        TargetPage(
            rows=rows,
            has_next=True if backwards else more,
            has_previous=more if backwards else anchor is not None,
            query=query,
            next_cursor=cursor_of(rows[-1].key) if rows else "",
            previous_cursor=cursor_of(rows[0].key) if rows else "",
        )
    )


def _beyond(key, backwards: bool) -> dict:
    # Ranges only match values of their bound's own BSON type, and _id sorts every string
    # before every ObjectId: going forward from a string, the ObjectIds still lie ahead;
    # going back from an ObjectId, the strings still lie behind.
    if backwards:
        before = {"_id": {"$lt": key}}
        return {"$or": [before, {"_id": {"$type": "string"}}]} if isinstance(key, ObjectId) else before
    after = {"_id": {"$gt": key}}
    return {"$or": [after, {"_id": {"$type": "objectId"}}]} if isinstance(key, str) else after


def cursor_of(key) -> str:
    return f"o{key}" if isinstance(key, ObjectId) else f"s{key}"


def key_of(cursor: str):
    """The _id a page cursor names; None for no cursor or one that was tampered with."""
    if cursor[:1] == "o" and ObjectId.is_valid(cursor[1:]):
        return ObjectId(cursor[1:])
    if cursor[:1] == "s" and len(cursor) > 1:
        return cursor[1:]
    return None


def _with_jobs(page: TargetPage) -> TargetPage:
    attach_jobs(KIND, page.rows)
    return page

"""Figures over the job table and its audit events, for /metrics and the dashboard.

Everything is aggregated by the console's PostgreSQL: a scrape or a page view costs a few
grouped queries, however many jobs there are.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import ACTIVE_STATUSES, DeletionJob, JobEvent
from deletion_console.selectors.jobs import stalled_jobs

# Upper bounds of the step duration histogram, in seconds: from a tiny campaign's steps to a
# million-entity one's.
DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def store_of(kind: str, step: str, entity: str) -> str:
    """The store an entity counted under a step was deleted from, as the kind's plan declares
    it (job counts are keyed by step: a tenant's services span several stores)."""
    try:
        return get_plan(kind).store_of(step, entity) or step
    except UnknownKind:
        return step


@dataclass(frozen=True)
class Deleted:
    kind: str
    step: str
    entity: str
    count: int

    @property
    def store(self) -> str:
        return store_of(self.kind, self.step, self.entity)


def deleted_by_step(*, since: datetime | None = None) -> list[Deleted]:
    """Entities deleted, summed per kind, step and entity over the jobs' `counts`
    ({step: {entity: n}}): the one reader of that field here."""
    table = DeletionJob._meta.db_table
    where, params = ("WHERE j.created_at >= %s", [since]) if since else ("", [])
    query = f"""
        SELECT j.kind, s.key, e.key, SUM((e.value)::bigint)
        FROM {table} j
        CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(j.counts) = 'object' THEN j.counts ELSE '{{}}' END) s
        CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(s.value) = 'object' THEN s.value ELSE '{{}}' END) e
        {where}
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
    """  # the table name is the model's own; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return [Deleted(kind, step, entity, int(n or 0)) for kind, step, entity, n in cursor.fetchall()]


def deleted_by_store(*, since: datetime | None = None) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in deleted_by_step(since=since):
        totals[row.store][row.entity] += row.count
    return {store: dict(entities) for store, entities in totals.items()}


def jobs_by_kind_and_status() -> dict[tuple[str, str], int]:
    rows = DeletionJob.objects.order_by().values_list("kind", "status").annotate(n=Count("id"))
    return {(kind, status): n for kind, status, n in rows}


def active_by_kind() -> dict[str, int]:
    rows = DeletionJob.objects.filter(status__in=ACTIVE_STATUSES).order_by().values_list("kind").annotate(n=Count("id"))
    return dict(rows)


def stalled_by_kind() -> dict[str, int]:
    return dict(stalled_jobs().order_by().values_list("kind").annotate(n=Count("id")))


def _events_of(kind: str):
    return JobEvent.objects.filter(kind=kind).order_by()


def events_by_kind_and_step(event_kind: str) -> dict[tuple[str, str], int]:
    """How many audit events of one kind (`retry`, `failed`) each job kind's steps have had."""
    rows = _events_of(event_kind).values_list("job__kind", "step").annotate(n=Count("id"))
    return {(kind, step): n for kind, step, n in rows}


@dataclass(frozen=True)
class DurationHistogram:
    kind: str
    step: str
    cumulative: tuple[int, ...]  # one per DURATION_BUCKETS bound
    count: int
    total_seconds: float


def step_durations() -> list[DurationHistogram]:
    """Durations of steps that succeeded, from their `succeeded` events, bucketed in SQL."""
    buckets = {f"le_{i}": Count("id", filter=Q(seconds__lte=b)) for i, b in enumerate(DURATION_BUCKETS)}
    rows = (
        _events_of("succeeded")
        .filter(seconds__isnull=False)
        .values("job__kind", "step")
        .annotate(n=Count("id"), total=Sum("seconds"), **buckets)
        .order_by("job__kind", "step")
    )
    return [
        DurationHistogram(
            kind=row["job__kind"],
            step=row["step"],
            cumulative=tuple(row[f"le_{i}"] for i in range(len(DURATION_BUCKETS))),
            count=row["n"],
            total_seconds=row["total"] or 0.0,
        )
        for row in rows
    ]


# --- the dashboard: the same table, over a window of days -------------------------------------


class Percentile(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def window_start(days: int) -> datetime:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    return timezone.make_aware(datetime.combine(start, datetime.min.time()))


def jobs_per_day(*, days: int) -> list[tuple[date, dict[str, int]]]:
    """Jobs created each day of the window (oldest first, every day present), by status."""
    since = window_start(days)
    rows = (
        DeletionJob.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values_list("day", "status")
        .annotate(n=Count("id"))
    )
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, status, n in rows:
        per_day[day][status] = n
    first = since.date()
    return [(first + timedelta(days=i), per_day.get(first + timedelta(days=i), {})) for i in range(days)]


@dataclass(frozen=True)
class StepDuration:
    kind: str
    step: str
    median: float
    p95: float
    runs: int


def step_duration_percentiles(*, days: int) -> list[StepDuration]:
    rows = (
        _events_of("succeeded")
        .filter(seconds__isnull=False, created_at__gte=window_start(days))
        .values("job__kind", "step")
        .annotate(median=Percentile("seconds", 0.5), p95=Percentile("seconds", 0.95), runs=Count("id"))
        .order_by("job__kind", "step")
    )
    return [StepDuration(r["job__kind"], r["step"], r["median"], r["p95"], r["runs"]) for r in rows]


def reason_of(message: str) -> str:
    """A failure's reason without its particulars: the text before the first ':' or '('
    (errors are described as "ExceptionType: detail"; residue as "residue remains (...)")."""
    head = re.split(r"[:(]", message or "", maxsplit=1)[0].strip()
    return head[:80] or "unknown"


def failures_by_reason(*, days: int) -> list[tuple[str, int]]:
    """Failed steps in the window, by step and reason, most frequent first."""
    rows = (
        _events_of("failed")
        .filter(created_at__gte=window_start(days))
        .values_list("step", "message")
        .annotate(n=Count("id"))
    )
    totals: dict[str, int] = defaultdict(int)
    for step, message, n in rows:
        totals[f"{step}: {reason_of(message)}" if step else reason_of(message)] += n
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))

"""The dashboard: how deletions have gone lately, drawn from the job table. Thin: the figures
come from selectors.stats, the drawing from web.charts."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from deletion_console.models import JobStatus
from deletion_console.selectors import stats
from deletion_console.stores.registry import label as store_label
from deletion_console.web.charts import Series, horizontal_bars, stacked_columns

WINDOWS = (7, 14, 30, 90)
DEFAULT_DAYS = 14
STATUS_COLORS = {
    JobStatus.SUCCEEDED: "#1d7a46",
    JobStatus.FAILED: "#c62828",
    JobStatus.CANCELLED: "#8a94a3",
    JobStatus.RUNNING: "#2459d6",
    JobStatus.PENDING: "#d29b16",
    JobStatus.SCHEDULED: "#7d5bd0",
    JobStatus.AWAITING_APPROVAL: "#b05c8a",
}
STATUS_SERIES = [Series(status, JobStatus(status).label, color) for status, color in STATUS_COLORS.items()]
DURATION_SERIES = [Series("median", "Median", "#2459d6"), Series("p95", "p95", "#9db8f5")]
DELETED_SERIES = [Series("deleted", "Deleted", "#1d7a46")]
FAILURE_SERIES = [Series("failures", "Failures", "#c62828")]


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:,.0f} s"


def _count(value: float) -> str:
    return f"{int(value):,}"


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return days if days in WINDOWS else DEFAULT_DAYS


@login_required
def dashboard(request):
    days = _days(request)
    per_day = stats.jobs_per_day(days=days)
    durations = stats.step_duration_percentiles(days=days)
    deleted = stats.deleted_by_store(since=stats.window_start(days))
    failures = stats.failures_by_reason(days=days)
    charts = [
        {
            "id": "jobs-per-day",
            "title": "Jobs per day, by status",
            "empty": not any(counts for _, counts in per_day),
            "svg": stacked_columns(
                [(day.strftime("%b %d"), counts) for day, counts in per_day],
                STATUS_SERIES,
                label=f"Deletion jobs requested each day of the last {days} days, stacked by status",
            ),
        },
        {
            "id": "step-durations",
            "title": "Step duration: median and p95",
            "empty": not durations,
            "svg": horizontal_bars(
                [(f"{d.kind} · {d.step} ({d.runs})", {"median": d.median, "p95": d.p95}) for d in durations],
                DURATION_SERIES,
                label="Median and 95th percentile duration of each step that succeeded",
                fmt=_seconds,
            ),
        },
        {
            "id": "deleted-per-store",
            "title": "Entities deleted per store",
            "empty": not any(sum(e.values()) for e in deleted.values()),
            "svg": horizontal_bars(
                [(store_label(store), {"deleted": sum(e.values())}) for store, e in sorted(deleted.items())],
                DELETED_SERIES,
                label="Entities deleted from each store by the jobs of the window",
                fmt=_count,
            ),
        },
        {
            "id": "failures-by-reason",
            "title": "Failures by reason",
            "empty": not failures,
            "svg": horizontal_bars(
                [(reason, {"failures": n}) for reason, n in failures[:12]],
                FAILURE_SERIES,
                label="Failed steps, by step and reason",
                fmt=_count,
            ),
        },
    ]
    return render(request, "dashboard/index.html", {"charts": charts, "days": days, "windows": WINDOWS})

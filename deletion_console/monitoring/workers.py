"""The Celery workers' own figures, asked of them at scrape time.

Workers are prefork pools without an HTTP port of their own, and a Prometheus client inside
them would need its multiprocess mode (a shared directory per host, cleaned on restarts). One
`inspect stats` broadcast instead asks every live worker for its pool size and the tasks it
has run since it started; the reply deadline bounds what a scrape costs when none answers.
"""

from dataclasses import dataclass, field

from django.conf import settings

from deletion_console.config.celery import app


@dataclass(frozen=True)
class WorkerStats:
    name: str
    processes: int
    tasks: dict[str, int] = field(default_factory=dict)  # task name -> run since the worker started


def worker_stats() -> list[WorkerStats]:
    replies = app.control.inspect(timeout=settings.METRICS_CELERY_INSPECT_TIMEOUT).stats() or {}
    return [
        WorkerStats(
            name=name,
            processes=int(stats.get("pool", {}).get("max-concurrency") or 0),
            tasks={task: int(n) for task, n in (stats.get("total") or {}).items()},
        )
        for name, stats in sorted(replies.items())
    ]

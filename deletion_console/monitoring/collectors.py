"""The deletion metrics, computed when Prometheus scrapes: from the console's database (the job
table and its audit events), the broker's queue and the workers' replies.

Nothing is counted in process memory, so every web process answers the same figures, restarts
lose nothing, and the counters are the audit trail's own totals.
"""

import logging

from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry

from deletion_console.models import JobStatus
from deletion_console.monitoring import broker, workers
from deletion_console.selectors import stats

log = logging.getLogger(__name__)


class DeletionCollector:
    def collect(self):
        yield from self._jobs()
        yield self._durations()
        yield self._deleted()
        yield self._events("retry", "deletion_retries", "Transient failures retried, by kind and step.")
        yield self._events("failed", "deletion_failures", "Steps that failed for good, by kind and step.")
        yield from self._queue()
        yield from self._workers()

    def _jobs(self):
        jobs = GaugeMetricFamily("deletion_jobs", "Deletion jobs by kind and status.", labels=["kind", "status"])
        counted = stats.jobs_by_kind_and_status()
        for kind in sorted({kind for kind, _ in counted}):
            for status in JobStatus.values:
                jobs.add_metric([kind, status], counted.get((kind, status), 0))
        yield jobs
        active = GaugeMetricFamily("deletion_jobs_active", "Jobs pending or running, by kind.", labels=["kind"])
        for kind, n in sorted(stats.active_by_kind().items()):
            active.add_metric([kind], n)
        yield active
        stalled = GaugeMetricFamily(
            "deletion_jobs_stalled", "Running jobs whose worker has not reported for too long.", labels=["kind"]
        )
        for kind, n in sorted(stats.stalled_by_kind().items()):
            stalled.add_metric([kind], n)
        yield stalled

    def _durations(self):
        histogram = HistogramMetricFamily(
            "deletion_step_duration_seconds", "Duration of steps that succeeded.", labels=["kind", "step"]
        )
        for row in stats.step_durations():
            bounds = [(str(b), n) for b, n in zip(stats.DURATION_BUCKETS, row.cumulative, strict=True)]
            histogram.add_metric([row.kind, row.step], [*bounds, ("+Inf", row.count)], row.total_seconds)
        return histogram

    def _deleted(self):
        deleted = CounterMetricFamily(
            "deletion_entities_deleted", "Entities deleted, by store and entity.", labels=["store", "entity"]
        )
        for store, entities in sorted(stats.deleted_by_store().items()):
            for entity, n in sorted(entities.items()):
                deleted.add_metric([store, entity], n)
        return deleted

    def _events(self, event_kind: str, name: str, documentation: str):
        counter = CounterMetricFamily(name, documentation, labels=["kind", "step"])
        for (kind, step), n in sorted(stats.events_by_kind_and_step(event_kind).items()):
            counter.add_metric([kind, step], n)
        return counter

    def _queue(self):
        gauge = GaugeMetricFamily("deletion_queue_depth", "Messages waiting in the queue.", labels=["queue"])
        for queue in settings.DELETION_QUEUES:
            try:
                depth = broker.queue_depth(queue)
            except Exception:  # the broker being down is what this figure is for; the scrape goes on
                log.warning("Could not read the depth of queue %s", queue, exc_info=True)
                depth = None
            if depth is not None:
                gauge.add_metric([queue], depth)
        if gauge.samples:
            yield gauge

    def _workers(self):
        try:
            replies = workers.worker_stats()
        except Exception:  # as for the queue: say the workers could not be asked, and go on
            log.warning("Could not ask the Celery workers for their figures", exc_info=True)
            replies = None
        yield GaugeMetricFamily(
            "deletion_celery_workers", "Celery workers that answered the scrape's inspect.", value=len(replies or [])
        )
        processes = GaugeMetricFamily(
            "deletion_celery_worker_processes", "Pool processes of each worker.", labels=["worker"]
        )
        tasks = CounterMetricFamily(
            "deletion_celery_worker_tasks", "Tasks each worker has run since it started.", labels=["worker", "task"]
        )
        for worker in replies or []:
            processes.add_metric([worker.name], worker.processes)
            for task, n in sorted(worker.tasks.items()):
                tasks.add_metric([worker.name, task], n)
        yield processes
        yield tasks


def deletion_registry() -> CollectorRegistry:
    # Its own registry, apart from the web process's global one (django-prometheus): that one
    # is cheap to collect anywhere, this one queries on every collect.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeletionCollector())
    return registry

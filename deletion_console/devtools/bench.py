"""The deletion benchmark: one run, one table.

On a store that also holds at least `background` documents of other campaigns, it measures:
- campaigns of each size, deleted through the real chain by a real worker (one solo-pool worker
  process per size, so its peak resident memory, VmHWM, is that deletion's alone);
- the raw floor: the same deletes written by hand in this process, as the fastest bulk
  operations each store allows, checked by the same zero-residue counts;
- the naive loop of the seed `004_...` template taken one entity at a time (smallest size only);
- a tiny campaign: request to succeeded and preview times over several runs;
- progress latency: from a change's commit to its message arriving on the job's channel group,
  which is what the page's WebSocket consumer forwards;
- ten independent jobs on one worker process, then on two.
"""

import asyncio
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

from campaigns.seeding import CampaignSpec, SeededCampaign, create_campaigns, create_players
from deletion_console.config.celery import app
from deletion_console.devtools.indexes import ensure_indexes
from deletion_console.devtools.schema import ensure_target_schema
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobStatus
from deletion_console.services import jobs
from deletion_console.services.broadcast import group_name
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as target_sql

ROOT = Path(settings.BASE_DIR)
PLAYERS = tuple(f"bench-player-{n}" for n in range(20))
BACKGROUND_EVENTS_PER_CAMPAIGN = 10_000
# What a campaign holds besides its events, with the specs below (see _spec).
CHILDREN, MEMBERS, SESSIONS = 20, 5, 4
FIXED = 5 * CHILDREN * 2 + 2 + MEMBERS * 2 + SESSIONS + SESSIONS * MEMBERS


@dataclass
class SizeResult:
    entities: int
    engine_seconds: float
    peak_rss_mb: float
    status: str
    residue: int
    raw_seconds: float | None = None
    raw_residue: int | None = None
    naive_seconds: float | None = None
    naive_residue: int | None = None


@dataclass
class Results:
    background_documents: int
    sizes: list[SizeResult] = field(default_factory=list)
    tiny_entities: int = 0
    tiny_seconds: list[float] = field(default_factory=list)
    tiny_preview_seconds: list[float] = field(default_factory=list)
    progress_latency_ms: list[float] = field(default_factory=list)
    one_worker_seconds: float = 0.0
    two_workers_seconds: float = 0.0
    parallel_jobs: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def run(*, sizes, raw_sizes, background: int, tiny_runs: int, parallel_jobs: int, parallel_size: int, log) -> Results:
    ensure_target_schema()
    ensure_indexes()
    create_players(PLAYERS)
    if app.control.ping(timeout=1.0):
        raise RuntimeError("Other Celery workers are running (stop `make run` first): the benchmark needs its own.")
    # Fresh ids on every run: the background campaigns of earlier runs are still in the store.
    rng = random.Random(time.time_ns())
    results = Results(background_documents=_ensure_background(background, rng, log))

    for size in sizes:
        log(f"{size:,} entities: seeding, then deleting through the worker")
        (target,) = create_campaigns([_spec(f"Bench {size}", size)], rng)
        with _Latency() if size == sorted(sizes)[len(sizes) // 2] else _nothing() as latency:
            result = _through_worker(target)
        if latency:
            results.progress_latency_ms = latency.samples_ms
        if size in raw_sizes:
            log(f"{size:,} entities: the raw floor")
            (target,) = create_campaigns([_spec(f"Raw {size}", size)], rng)
            result.raw_seconds = _timed(lambda t=target: raw_delete(t))
            result.raw_residue = preview("campaign", target.id).total
        if size == min(sizes):
            log(f"{size:,} entities: the naive per-entity loop")
            (target,) = create_campaigns([_spec(f"Naive {size}", size)], rng)
            result.naive_seconds = _timed(lambda t=target: naive_delete(t))
            result.naive_residue = preview("campaign", target.id).total
        results.sizes.append(result)

    log(f"tiny campaign: {tiny_runs} runs")
    tiny = create_campaigns([_tiny_spec(n) for n in range(tiny_runs)], rng)
    results.tiny_entities = preview("campaign", tiny[0].id).total
    with _Workers(1):
        for target in tiny:
            started = time.monotonic()
            confirmed = preview("campaign", target.id)
            results.tiny_preview_seconds.append(time.monotonic() - started)
            results.tiny_seconds.append(_delete_and_wait(target.id, confirmed)[0])

    results.parallel_jobs = parallel_jobs
    for processes in (1, 2):
        log(f"{parallel_jobs} jobs of {parallel_size:,} entities on {processes} worker process(es)")
        batch = create_campaigns([_spec(f"Parallel {processes}.{n}", parallel_size) for n in range(parallel_jobs)], rng)
        with _Workers(processes):
            started = time.monotonic()
            requested = [_request(t.id, preview("campaign", t.id)) for t in batch]
            for job in requested:
                _wait(job.pk)
            seconds = time.monotonic() - started
        if processes == 1:
            results.one_worker_seconds = seconds
        else:
            results.two_workers_seconds = seconds
    return results


# -- data -------------------------------------------------------------------------------------


def _spec(name: str, entities: int) -> CampaignSpec:
    return CampaignSpec(
        name=name,
        children=CHILDREN,
        events=max(entities - FIXED, 0),
        players=PLAYERS[:MEMBERS],
        sessions=SESSIONS,
    )


def _tiny_spec(n: int) -> CampaignSpec:
    # 2 children per collection in both stores, 2 players, 2 sessions: 50 entities with 18 events.
    return CampaignSpec(name=f"Tiny {n}", children=2, events=18, players=PLAYERS[:2], sessions=2)


def _ensure_background(documents: int, rng: random.Random, log) -> int:
    """Other campaigns' events, at least `documents` of them; kept between runs."""
    events = mongo.database()["campaign_events"]
    present = events.estimated_document_count()
    missing = max(documents - present, 0)
    if missing:
        log(f"seeding {missing:,} events of other campaigns (kept for later runs)")
        count = -(-missing // BACKGROUND_EVENTS_PER_CAMPAIGN)
        specs = [
            CampaignSpec(name=f"Background {n}", children=3, events=BACKGROUND_EVENTS_PER_CAMPAIGN, players=PLAYERS[:2])
            for n in range(count)
        ]
        create_campaigns(specs, rng)
    return events.estimated_document_count()


# -- the engine, through a worker ---------------------------------------------------------------


def _through_worker(target: SeededCampaign) -> SizeResult:
    with _Workers(1) as workers:
        confirmed = preview("campaign", target.id)
        seconds, job = _delete_and_wait(target.id, confirmed)
        peak = _rss_mb(workers.procs[0].pid, "VmHWM")
    return SizeResult(
        entities=confirmed.total,
        engine_seconds=seconds,
        peak_rss_mb=peak,
        status=job.status,
        residue=preview("campaign", target.id).total,
    )


def _delete_and_wait(target_id: str, confirmed) -> tuple[float, DeletionJob]:
    started = time.monotonic()
    job = _wait(_request(target_id, confirmed).pk)
    return time.monotonic() - started, job


def _request(target_id: str, shown) -> DeletionJob:
    # As a person confirming the preview they were shown: the name typed, the counts signed.
    confirmation = jobs.Confirmation(shown.label, shown=sign_preview(shown))
    return jobs.request_deletion(kind="campaign", target_id=target_id, confirmation=confirmation)


def _wait(job_id, timeout: float = 7200) -> DeletionJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = DeletionJob.objects.get(pk=job_id)
        if job.status in TERMINAL_STATUSES:
            if job.status != JobStatus.SUCCEEDED:
                raise RuntimeError(f"benchmark job {job.pk} ended {job.status}: {job.error}")
            return job
        time.sleep(0.02)
    raise RuntimeError(f"benchmark job {job_id} did not finish within {timeout} s")


class _Workers:
    """Solo-pool worker processes (one task at a time each) that are the queue's only consumers."""

    def __init__(self, processes: int):
        self.processes = processes
        self.procs: list[subprocess.Popen] = []

    def __enter__(self):
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": url}
        names = [f"bench{n}@{os.uname().nodename}" for n in range(self.processes)]
        for name in names:
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "deletion_console.config",
                        "worker",
                        "-Q",
                        "deletion-tasks",
                        "--pool",
                        "solo",
                        "-n",
                        name,
                        "--without-gossip",
                        "--without-mingle",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
            )
        deadline = time.monotonic() + 30
        while len(app.control.ping(destination=names, timeout=0.5)) < len(names):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                self.__exit__()
                raise RuntimeError("the benchmark's workers did not start")
        return self

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=30)


def _rss_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Latency:
    """Joins the progress group of every active job it sees, as the page's consumer does, and
    measures each message from the change's recorded time (just before its commit) to arrival."""

    def __init__(self):
        self.samples_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    async def _listen(self):
        layer = get_channel_layer()
        channel = await layer.new_channel()
        joined = set()
        while not self._stop.is_set():
            for job_id in await asyncio.to_thread(_active_job_ids):
                if job_id not in joined:
                    await layer.group_add(group_name(job_id), channel)
                    joined.add(job_id)
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=0.2)
            except TimeoutError:
                continue
            arrived = time.time()
            updated = message["job"].get("updated_at")
            if updated and message["job"]["status"] == JobStatus.RUNNING:
                self.samples_ms.append((arrived - datetime.fromisoformat(updated).timestamp()) * 1000)


def _active_job_ids() -> list[str]:
    return [
        str(pk) for pk in DeletionJob.objects.filter(status__in=["pending", "running"]).values_list("pk", flat=True)
    ]


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return None


def _timed(work) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


# -- by hand: the raw floor, and the naive loop ------------------------------------------------

OWNED_COLLECTIONS = ("campaign_events", "items", "npcs", "scenes", "quests", "places")
LABELS = ("Item", "NPC", "Scene", "Quest", "Place")


def raw_delete(target: SeededCampaign) -> None:
    """The fastest bulk deletes each store allows, written for this one layout (new format)."""
    db = mongo.database()
    limit = settings.DELETION_MONGODB_STATEMENT_MAX
    for name in OWNED_COLLECTIONS:
        owned = {"campaign_id": target.id}
        ids = [key for batch in mongo.stream_ids(settings.MONGODB_DB, name, owned, 100_000) for key in batch]
        # All but what one statement can take key by key, then the rest in one delete_many.
        by_key = ids[: max(len(ids) - limit, 0)]
        for start in range(0, len(by_key), 10_000):
            mongo.delete_keys(settings.MONGODB_DB, name, by_key[start : start + 10_000])
        db[name].delete_many(owned)
    db["campaigns"].delete_one({"_id": mongo.key_candidates(target.id)[0]})
    with graph.driver().session() as session:
        session.run("MATCH (:Player)-[r:PLAYS_IN]->(:Campaign {id: $ref}) DELETE r", ref=target.id).consume()
        for label in LABELS:
            session.run(
                f"MATCH (n:`{label}` {{campaign_id: $ref}})"
                " CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS",
                ref=target.id,
            ).consume()
        session.run("MATCH (n:Campaign {id: $ref}) DETACH DELETE n", ref=target.id).consume()
    with target_sql.connect() as conn:
        conn.execute(
            "DELETE FROM session_attendance"
            " WHERE session_id IN (SELECT id FROM campaign_sessions WHERE campaign_id = %s)",
            [target.id],
        )
        conn.execute("DELETE FROM campaign_sessions WHERE campaign_id = %s", [target.id])
        conn.execute("DELETE FROM player_campaigns WHERE campaign_id = %s", [target.id])


def naive_delete(target: SeededCampaign) -> None:
    """The seed template's loop taken literally, one statement per entity."""
    db = mongo.database()
    for name in OWNED_COLLECTIONS:
        for key in [doc["_id"] for doc in db[name].find({"campaign_id": target.id}, {"_id": 1})]:
            db[name].delete_one({"_id": key})
    db["campaigns"].delete_one({"_id": mongo.key_candidates(target.id)[0]})
    rels = (
        graph.driver()
        .execute_query("MATCH (:Player)-[r:PLAYS_IN]->(:Campaign {id: $ref}) RETURN elementId(r)", ref=target.id)
        .records
    )
    for (rel,) in rels:
        graph.write_value("MATCH ()-[r]->() WHERE elementId(r) = $id DELETE r", id=rel)
    for label in (*LABELS, "Campaign"):
        prop = "id" if label == "Campaign" else "campaign_id"
        found = graph.driver().execute_query(f"MATCH (n:`{label}` {{{prop}: $ref}}) RETURN n.id", ref=target.id).records
        for (node_id,) in found:
            graph.write_value(f"MATCH (n:`{label}` {{id: $id}}) DETACH DELETE n", id=node_id)
    with target_sql.connect() as conn:
        conn.autocommit = True
        sessions = [r[0] for r in conn.execute("SELECT id FROM campaign_sessions WHERE campaign_id = %s", [target.id])]
        for session_id in sessions:
            for (player,) in conn.execute(
                "SELECT player_id FROM session_attendance WHERE session_id = %s", [session_id]
            ):
                conn.execute(
                    "DELETE FROM session_attendance WHERE session_id = %s AND player_id = %s", [session_id, player]
                )
            conn.execute("DELETE FROM campaign_sessions WHERE id = %s", [session_id])
        for (player,) in conn.execute("SELECT player_id FROM player_campaigns WHERE campaign_id = %s", [target.id]):
            conn.execute("DELETE FROM player_campaigns WHERE player_id = %s AND campaign_id = %s", [player, target.id])


# -- the table ----------------------------------------------------------------------------------


def table(results: Results) -> list[tuple[str, str, str]]:
    """(measure, value, target) rows."""
    rows = [("other documents in the store", f"{results.background_documents:,}", ">= 1,000,000")]
    by_size = {r.entities: r for r in results.sizes}
    for r in results.sizes:
        rows.append((f"{r.entities:,} entities: engine, request to succeeded", f"{r.engine_seconds:.1f} s", ""))
        rows.append((f"{r.entities:,} entities: status, residue", f"{r.status}, {r.residue}", "succeeded, 0"))
        rows.append((f"{r.entities:,} entities: worker peak RSS", f"{r.peak_rss_mb:.0f} MB", ""))
        if r.raw_seconds is not None:
            rows.append(
                (f"{r.entities:,} entities: raw floor (residue)", f"{r.raw_seconds:.1f} s ({r.raw_residue})", "")
            )
            rows.append(
                (
                    f"{r.entities:,} entities: engine / raw floor",
                    f"{r.engine_seconds / r.raw_seconds:.2f}",
                    "<= 1.3 at 10^5",
                )
            )
        if r.naive_seconds is not None:
            rows.append(
                (f"{r.entities:,} entities: naive loop (residue)", f"{r.naive_seconds:.1f} s ({r.naive_residue})", "")
            )
            rows.append(
                (
                    f"{r.entities:,} entities: naive / engine",
                    f"{r.naive_seconds / r.engine_seconds:.1f}",
                    ">= 20 at 10^4",
                )
            )
    sizes = sorted(by_size)
    if len(sizes) >= 2:
        small, mid, large = by_size[sizes[0]], by_size[sizes[-2]], by_size[sizes[-1]]
        rows.append(
            ("time(largest) / time(second largest)", f"{large.engine_seconds / mid.engine_seconds:.1f}", "<= 12")
        )
        rows.append(("peak RSS largest / smallest", f"{large.peak_rss_mb / small.peak_rss_mb:.2f}", "<= 1.2"))
    if results.tiny_seconds:
        rows.append(
            (
                f"tiny campaign ({results.tiny_entities} entities): median",
                f"{statistics.median(results.tiny_seconds):.2f} s",
                "<= 1 s",
            )
        )
        rows.append(("tiny campaign: p95", f"{_p95(results.tiny_seconds):.2f} s", ""))
        rows.append(
            (
                "tiny campaign: preview median",
                f"{statistics.median(results.tiny_preview_seconds) * 1000:.0f} ms",
                "<= 300 ms",
            )
        )
    if results.progress_latency_ms:
        rows.append(
            (
                f"progress latency p95 ({len(results.progress_latency_ms)} messages)",
                f"{_p95(results.progress_latency_ms):.0f} ms",
                "<= 100 ms",
            )
        )
    if results.two_workers_seconds:
        rows.append((f"{results.parallel_jobs} jobs, 1 worker process", f"{results.one_worker_seconds:.1f} s", ""))
        rows.append((f"{results.parallel_jobs} jobs, 2 worker processes", f"{results.two_workers_seconds:.1f} s", ""))
        rows.append(
            (
                "throughput 2 workers / 1 worker",
                f"{results.one_worker_seconds / results.two_workers_seconds:.2f}",
                ">= 1.5",
            )
        )
    return rows  # fmt: skip


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

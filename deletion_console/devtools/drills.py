"""The reliability drills: one run, one table (`make drill`).

On the local test stack, with worker processes of its own (two nodes of one pool process each,
and beat, with the deployed clocks), it:
- kills the worker holding a job's chunk, then restarts it, and again with the other node left
  to take over: seconds until the job deletes again;
- stops each server for a while mid-job (scripts/stack.sh down NAME, then up): what the job
  did, seconds from the server's return until it deleted again or ended, its residue, and the
  deletion events lost or sent twice on the events exchange;
- runs 20 jobs at once (campaigns and tenants of mixed sizes) and times a tiny job requested
  while 19 large ones run;
- soaks: back-to-back deletions through the API, with cancels, resumes and a worker restart
  every 50 jobs: jobs stuck, residue, worker memory and the console's table growth.
"""

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import django.db
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from kombu import Connection, Queue
from kombu.exceptions import OperationalError

from campaigns.seeding import CampaignSpec, create_campaigns, create_players
from deletion_console.config.celery import app
from deletion_console.devtools.indexes import ensure_indexes
from deletion_console.devtools.schema import ensure_target_schema
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobEvent, JobStatus, OutboxEvent
from deletion_console.selectors.audit import verify_chains
from deletion_console.services import announce, jobs
from deletion_console.services.preview import preview
from tenants.seeding import TenantSpec, create_tenant

ROOT = Path(settings.BASE_DIR)
PLAYERS = tuple(f"drill-player-{n}" for n in range(5))
SERVERS = ("redis", "rabbitmq", "postgres", "target-postgres", "neo4j", "ferretdb")
# The step during which each server goes away: one that needs it (every step needs the
# console's PostgreSQL and the broker; FerretDB keeps its documents in that PostgreSQL too).
STEP_OF = {
    "neo4j": "neo4j",
    "ferretdb": "mongodb",
    "postgres": "mongodb",
    "target-postgres": "postgres",
    "redis": "mongodb",
    "rabbitmq": "mongodb",
}
# The target platform's rows are sessions and their attendance (three players each): enough of
# them that the postgres step outlasts the outage's start.
SESSIONS_OF = {"target-postgres": 100_000}
# The deployed clocks (settings' defaults), with batches small enough that a drill-sized step
# lasts through an outage.
WORKER_ENV = {
    "DELETION_CHUNK_SECONDS": "3",
    "DELETION_CLAIM_SILENT_SECONDS": "6",
    "DELETION_WATCHDOG_INTERVAL_SECONDS": "5",
    "DELETION_HEARTBEAT_STALE_SECONDS": "120",
    "DELETION_MONGODB_BATCH": "1000",
    "DELETION_MONGODB_STATEMENT_MAX": "2000",
    "DELETION_NEO4J_BATCH": "20",
}


@dataclass
class Row:
    fault: str
    outcome: str
    recover_seconds: float | None = None
    residue: int = 0
    events_lost: str = "-"


def run(*, outage_seconds: float, soak_jobs: int, only: set[str] | None, log) -> list[Row]:
    ensure_target_schema()
    ensure_indexes()
    create_players(PLAYERS)
    if app.control.ping(timeout=1.0):
        raise RuntimeError("Other Celery workers are running (stop `make run` first): the drills need their own.")
    rng = random.Random(time.time_ns())
    rows: list[Row] = []
    wanted = lambda name: only is None or name in only  # noqa: E731
    with Workers(2) as workers, EventTap() as tap:
        if wanted("crash"):
            for restart in (True, False):
                log(f"worker killed mid-chunk, {'restarted' if restart else 'the other takes over'}")
                rows.append(crash(workers, rng, restart=restart))
        for server in SERVERS:
            if wanted(server):
                log(f"{server} stopped for {outage_seconds:g} s mid-job")
                rows.append(outage(server, rng, seconds=outage_seconds, tap=tap, sessions=SESSIONS_OF.get(server, 3)))
        if wanted("concurrency"):
            log("20 jobs at once, and a tiny one among 19 large")
            rows.extend(concurrency(rng))
        if wanted("soak"):
            log(f"soak: {soak_jobs} deletions through the API")
            rows.extend(soak(workers, rng, jobs_count=soak_jobs))
    return rows


# -- the faults ---------------------------------------------------------------------------------


def crash(workers: "Workers", rng, *, restart: bool) -> Row:
    (target,) = create_campaigns([_campaign("Crash", events=20_000)], rng)
    job = _request("campaign", target.id)
    _wait_until(lambda: _underway(job.pk, "mongodb") and _holder(job.pk, "mongodb"), "the mongodb step")
    holder = _holder(job.pk, "mongodb")
    node = workers.node_of(holder)
    workers.kill(node)
    if restart:
        workers.start(node)
    since = time.time()
    again = _next_batch(job.pk, after=since)
    done = _finish(job.pk)
    how = "requeued by the watchdog" if done.run > 1 else "redelivered by the broker"
    workers.start(node)  # the other case leaves it down; both are up for what follows
    return Row(
        fault=f"worker killed, {'restarted' if restart else 'other node takes over'}",
        outcome=f"{how}; {done.status}",
        recover_seconds=again,
        residue=_residue(done),
    )


def outage(
    server: str, rng, *, seconds: float, tap: "EventTap", events: int = 15_000, children: int = 120, sessions: int = 3
) -> Row:
    spec = _campaign(f"Outage {server}", events=events, children=children, sessions=sessions)
    (target,) = create_campaigns([spec], rng)
    expected = preview("campaign", target.id).total
    job = _request("campaign", target.id)
    _wait_until(lambda: _underway(job.pk, STEP_OF[server]), f"the {STEP_OF[server]} step")
    stack("down", server)
    time.sleep(seconds)
    stack("up")
    back = time.time()
    outcome = "went on by itself"
    recovered = _db(lambda: _next_batch(job.pk, after=back, timeout=240))
    stopped = _db(lambda: DeletionJob.objects.get(pk=job.pk))
    if stopped.status == JobStatus.SUCCEEDED and recovered is None:
        outcome, recovered = "went on through the outage", 0.0
    if stopped.status == JobStatus.FAILED:
        # A failed job is resumable: the drill resumes it as an admin would, at once.
        outcome = f"failed ({_short(stopped.error)}); resumed"
        jobs.resume(stopped.pk)
        recovered = _next_batch(job.pk, after=back, timeout=240)
    done = _finish(job.pk)
    if done.total_deleted != expected:
        outcome += f"; counted {done.total_deleted:,} of {expected:,}"
    chain = next(iter(verify_chains([done.pk])))
    if chain.broken:
        outcome += "; audit trail broken"
    return Row(
        fault=f"{server} stopped {seconds:g} s",
        outcome=f"{outcome}; {done.status}",
        recover_seconds=recovered,
        residue=_residue(done),
        events_lost=tap.lost_for([done.pk]),
    )


def concurrency(rng) -> list[Row]:
    campaigns = create_campaigns([_campaign(f"Many {n}", events=4_000 + 3_000 * (n % 4)) for n in range(12)], rng)
    tenants = [create_tenant(_tenant(n), rng) for n in range(7)]
    (tiny,) = create_campaigns([_campaign("Tiny", events=18, children=2)], rng)
    neighbours = create_campaigns([_campaign(f"Neighbour {n}", events=500) for n in range(3)], rng)
    before = [preview("campaign", n.id).total for n in neighbours]
    started = time.monotonic()
    large = [_request("campaign", c.id) for c in campaigns] + [_request("tenant", t.id) for t in tenants]
    _wait_until(
        lambda: DeletionJob.objects.filter(pk__in=[j.pk for j in large], status="running").count() >= 2, "running"
    )
    under_way = DeletionJob.objects.filter(pk__in=[j.pk for j in large]).exclude(status__in=TERMINAL_STATUSES)
    large_running = under_way.count()
    tiny_started = time.monotonic()
    tiny_job = _finish(_request("campaign", tiny.id).pk)
    tiny_seconds = time.monotonic() - tiny_started
    done = [_finish(j.pk, timeout=1800) for j in large]
    seconds = time.monotonic() - started
    succeeded = sum(j.status == JobStatus.SUCCEEDED for j in [*done, tiny_job])
    neighbours_are = "unchanged" if [preview("campaign", n.id).total for n in neighbours] == before else "CHANGED"
    return [
        Row(
            fault=f"20 jobs at once ({len(campaigns) + 1} campaigns, {len(tenants)} tenants), 2 worker processes",
            outcome=f"{succeeded}/20 succeeded in {seconds:.0f} s; neighbours {neighbours_are}",
            residue=sum(_residue(j) for j in [*done, tiny_job]),
        ),
        Row(
            fault=f"a tiny job requested while {large_running} large ones are under way",
            outcome=f"{tiny_job.status}; request to end {_ran_for(tiny_job):.1f} s, after its preview",
            recover_seconds=tiny_seconds,
            residue=_residue(tiny_job),
        ),
    ]


def soak(workers: "Workers", rng, *, jobs_count: int) -> list[Row]:
    targets = create_campaigns([_campaign(f"Soak {n}", events=30, children=2) for n in range(jobs_count)], rng)
    client = _api_client()
    tables = _table_counts()
    rss: list[float] = []
    job_ids = []
    for n, target in enumerate(targets, start=1):
        response = client.post(
            "/api/deletions/",
            {"kind": "campaign", "target_id": target.id, "confirm_name": target.name},
            "application/json",
        )
        if response.status_code != 201:
            raise RuntimeError(f"soak request {n} refused: {response.status_code} {response.content[:300]!r}")
        job_id = response.json()["id"]
        job_ids.append(job_id)
        if n % 25 == 0:  # cancel it at once, then resume what the cancel left
            client.post(f"/api/deletions/{job_id}/cancel/")
            stopped = _finish(job_id)
            if stopped.status == JobStatus.CANCELLED:
                client.post(f"/api/deletions/{job_id}/resume/")
        _finish(job_id, terminal_only=False)
        if n % 50 == 0:
            rss.append(workers.rss_mb(0))
            workers.restart(1)
    done = [_finish(job_id) for job_id in job_ids]
    stuck = sum(job.status not in TERMINAL_STATUSES for job in done)
    residue = sum(_residue(job) for job in done)
    growth = _unexplained_growth(tables, job_ids)
    return [
        Row(
            fault=f"soak: {jobs_count} deletions by API, cancels, resumes, a worker restart every 50",
            outcome=(
                f"{sum(j.status == JobStatus.SUCCEEDED for j in done)} succeeded, {stuck} stuck; "
                f"tables: {growth or 'only the jobs own rows'}"
            ),
            residue=residue,
        ),
        Row(
            fault="soak: worker RSS, last / first",
            outcome=f"{rss[-1]:.0f} / {rss[0]:.0f} MB = {rss[-1] / rss[0]:.2f}" if len(rss) > 1 else "too short",
        ),
    ]


# -- what the drills read -----------------------------------------------------------------------


def _campaign(name: str, *, events: int, children: int = 10, sessions: int = 3) -> CampaignSpec:
    return CampaignSpec(name=name, children=children, events=events, players=PLAYERS[:3], sessions=sessions)


def _tenant(n: int) -> TenantSpec:
    return TenantSpec(id=f"drill-{uuid.uuid4().hex[:8]}", name=f"Tenant {n}", rows=300 + 200 * n, documents=200)


def _request(kind: str, target_id: str) -> DeletionJob:
    shown = preview(kind, target_id)
    return jobs.request_deletion(kind=kind, target_id=target_id, confirmation=jobs.Confirmation(shown.label))


def _underway(job_id, step: str) -> bool:
    job = DeletionJob.objects.get(pk=job_id)
    return job.current_phase == step and sum(job.counts.get(step, {}).values()) > 0


def _holder(job_id, step: str) -> str | None:
    return DeletionJob.objects.get(pk=job_id).step(step).worker


def _next_batch(job_id, *, after: float, timeout: float = 120) -> float | None:
    """Seconds from `after` until the job deleted a batch again or succeeded; None if it had
    ended otherwise, or before `after`, or neither happened within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        moved = JobEvent.objects.filter(job_id=job_id, kind__in=["batch", "succeeded"], created_at__gt=_aware(after))
        first = moved.order_by("created_at").first()
        if first is not None:
            return round(first.created_at.timestamp() - after, 1)
        if DeletionJob.objects.get(pk=job_id).status in TERMINAL_STATUSES:
            return None  # it ended before `after`, or ended otherwise
        time.sleep(0.1)
    return None


def _finish(job_id, *, timeout: float = 600, terminal_only: bool = True) -> DeletionJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _db(lambda: DeletionJob.objects.get(pk=job_id))
        if job.status in TERMINAL_STATUSES:
            return job
        time.sleep(0.05)
    if not terminal_only:
        return job
    raise RuntimeError(f"drill job {job_id} still {job.status} at {job.current_phase} after {timeout} s")


def _ran_for(job: DeletionJob) -> float:
    return (job.finished_at - job.created_at).total_seconds()


def _residue(job: DeletionJob) -> int:
    return sum(n for entities in job.residue.values() for n in entities.values())


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _aware(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, tz=UTC)


def _wait_until(predicate, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"drill: timed out waiting for {what}")
        time.sleep(0.05)


def _db(read, timeout: float = 120):
    """`read()`, again until the console's database answers (it may be the server stopped)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return read()
        except (django.db.OperationalError, django.db.InterfaceError):
            if time.monotonic() > deadline:
                raise
            connection.close()
            time.sleep(0.5)


def _api_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="drill-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _table_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model.objects.count() for model in apps.get_app_config("deletion_console").get_models()
    }


def _unexplained_growth(before: dict[str, int], job_ids: list) -> str:
    """The console tables that grew by more than the rows the soak's jobs own."""
    owned = {}
    for model in apps.get_app_config("deletion_console").get_models():
        if model is DeletionJob:
            owned[model._meta.db_table] = len(job_ids)
        elif any(getattr(f, "related_model", None) is DeletionJob for f in model._meta.fields):
            field = next(f for f in model._meta.fields if getattr(f, "related_model", None) is DeletionJob)
            owned[model._meta.db_table] = model.objects.filter(**{f"{field.name}__in": job_ids}).count()
        elif any(f.name == "job_id" for f in model._meta.fields):  # the audit log names jobs by key only
            owned[model._meta.db_table] = model.objects.filter(job_id__in=job_ids).count()
    after = _table_counts()
    grown = {table: after[table] - before[table] - owned.get(table, 0) for table in after}
    return ", ".join(f"{table} +{n}" for table, n in grown.items() if n > 0)


# -- the servers, the workers and the events exchange -------------------------------------------


def stack(*args: str) -> None:
    subprocess.run(["scripts/stack.sh", *args], cwd=ROOT, check=True, capture_output=True, env=os.environ)


class Workers:
    """Worker nodes of one pool process each, and beat; each node can be killed and restarted."""

    def __init__(self, count: int):
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        self.env = {**os.environ, **WORKER_ENV, "DATABASE_URL": url}
        self.names = [f"drill{n}@{os.uname().nodename}" for n in range(count)]
        self.procs: dict[int, subprocess.Popen] = {}
        self.beat: subprocess.Popen | None = None
        self.logs = ROOT / ".devstack" / os.environ.get("STACK_INSTANCE", "test") / "logs"

    def __enter__(self):
        self.logs.mkdir(parents=True, exist_ok=True)
        for node in range(len(self.names)):
            self.start(node)
        schedule = self.logs / "drill-beat-schedule"
        self.beat = self._spawn(["beat", "-s", str(schedule)], "drill-beat")
        return self

    def __exit__(self, *exc):
        for proc in [*self.procs.values(), self.beat]:
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.procs.values(), self.beat]:
            if proc:
                proc.wait(timeout=30)

    def node_of(self, worker: str) -> int:
        return self.names.index(worker.split("#")[0])

    def start(self, node: int) -> None:
        if node in self.procs and self.procs[node].poll() is None:
            return
        queues = ",".join(settings.DELETION_QUEUES)
        args = ["worker", "-Q", queues, "-c", "1", "-n", self.names[node], "--without-gossip", "--without-mingle"]
        self.procs[node] = self._spawn(args, f"drill{node}-worker")
        deadline = time.monotonic() + 60
        while not _answers(self.names[node]):
            if time.monotonic() > deadline or self.procs[node].poll() is not None:
                raise RuntimeError(f"drill worker {self.names[node]} did not start; see {self.logs}")

    def kill(self, node: int) -> None:
        os.killpg(self.procs[node].pid, signal.SIGKILL)
        self.procs[node].wait()

    def restart(self, node: int) -> None:
        os.killpg(self.procs[node].pid, signal.SIGTERM)
        self.procs[node].wait(timeout=60)
        self.start(node)

    def rss_mb(self, node: int) -> float:
        """The node's main process and its pool process, resident now."""
        pid = self.procs[node].pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sum(_rss_kb(int(p)) for p in [pid, *children]) / 1024

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the process)
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "deletion_console.config", *args, "--loglevel", "INFO"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _answers(node: str) -> bool:
    try:
        return bool(app.control.ping(destination=[node], timeout=0.5))
    except (OperationalError, OSError):  # the broker just restarted: the next ping reconnects
        return False


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class EventTap:
    """A durable queue bound to every deletion event, to count what arrived for given jobs."""

    def __init__(self):
        self.queue = Queue(f"drill-events-{uuid.uuid4().hex[:8]}", announce.exchange(), routing_key="#", durable=True)

    def __enter__(self):
        with Connection(settings.DELETION_EVENTS_URL) as conn:
            self.queue(conn.default_channel).declare()
        self.seen: Counter = Counter()
        return self

    def __exit__(self, *exc):
        with Connection(settings.DELETION_EVENTS_URL) as conn:
            self.queue(conn.default_channel).delete()

    def lost_for(self, job_ids: list, timeout: float = 60) -> str:
        """Events recorded for the jobs that never arrived, and those that arrived twice."""
        deadline = time.monotonic() + timeout
        recorded = []
        while time.monotonic() < deadline:
            announce.publish_pending()
            recorded = list(OutboxEvent.objects.filter(job_id__in=job_ids).values_list("job_id", "routing_key", "body"))
            self._drain()
            missing = [r for r in recorded if self.seen[(str(r[0]), r[1], r[2]["seq"])] == 0]
            if not missing:
                break
            time.sleep(1)
        twice = sum(self.seen[(str(j), k, b["seq"])] > 1 for j, k, b in recorded)
        return f"{len(missing)} lost, {twice} twice of {len(recorded)}"

    def _drain(self) -> None:
        with Connection(settings.DELETION_EVENTS_URL) as conn:
            bound = self.queue(conn.default_channel)
            while (message := bound.get(no_ack=True)) is not None:
                body = message.decode()
                self.seen[(body["request_id"], body["event"], body["seq"])] += 1


def table(rows: list[Row]) -> list[tuple[str, ...]]:
    header = ("server or fault", "what the job did", "seconds to recover", "residue", "events lost")
    return [header] + [
        (
            r.fault,
            r.outcome,
            "-" if r.recover_seconds is None else f"{r.recover_seconds:.1f}",
            str(r.residue),
            r.events_lost,
        )
        for r in rows
    ]

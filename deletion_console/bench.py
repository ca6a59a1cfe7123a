"""Deletion benchmark: seed one large campaign, delete it through a real worker, and measure.

The worker runs with the solo pool so that the process doing the work is the one whose peak
resident memory (VmHWM) is read.
"""

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from deletion_console.celery import app
from deletion_console.engine.plan import STEPS
from deletion_console.models import TERMINAL_STATUSES, DeletionJob
from deletion_console.seeding.campaigns import CampaignSpec, create_campaign, create_players
from deletion_console.seeding.indexes import ensure_indexes
from deletion_console.seeding.schema import ensure_target_schema
from deletion_console.services import jobs
from deletion_console.services.preview import preview

ROOT = Path(settings.BASE_DIR)


@dataclass
class Result:
    entities: int
    seed_seconds: float
    preview_seconds: float
    total_seconds: float
    step_seconds: dict
    idle_rss_mb: float
    peak_rss_mb: float
    status: str


def run(*, events: int, children: int, players: int, seed: int) -> Result:
    ensure_target_schema()
    ensure_indexes()
    rng = random.Random(seed)
    player_ids = [f"bench-player-{n}" for n in range(players)]
    started = time.monotonic()
    create_players(player_ids)
    spec = CampaignSpec(
        name=f"Benchmark {seed}", children=children, events=events, players=tuple(player_ids), sessions=20
    )
    seeded = create_campaign(spec, rng)
    seed_seconds = time.monotonic() - started

    # Another worker on the queue could take the job, and the memory read would be the wrong one.
    if app.control.ping(timeout=1.0):
        raise RuntimeError("Other Celery workers are running (stop `make run` first): the benchmark needs its own.")
    worker = _start_worker()
    try:
        idle = _rss_mb(worker.pid, "VmRSS")
        started = time.monotonic()
        confirmed = preview("campaign", seeded.id)
        preview_seconds = time.monotonic() - started
        started = time.monotonic()
        job = jobs.request_deletion(kind="campaign", target_id=seeded.id, confirmed=confirmed)
        deadline = time.monotonic() + 3600
        while job.status not in TERMINAL_STATUSES and time.monotonic() < deadline:
            time.sleep(0.2)
            job = DeletionJob.objects.get(pk=job.pk)
        total = time.monotonic() - started
        peak = _rss_mb(worker.pid, "VmHWM")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return Result(
        entities=confirmed.total,
        seed_seconds=seed_seconds,
        preview_seconds=preview_seconds,
        total_seconds=total,
        step_seconds={step: job.steps.get(step, {}).get("seconds") for step in STEPS},
        idle_rss_mb=idle,
        peak_rss_mb=peak,
        status=job.status,
    )


def _start_worker() -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "deletion_console", "worker", "-Q", "deletions", "--pool", "solo",
         "-n", "bench@%h", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not app.control.ping(destination=[f"bench@{os.uname().nodename}"], timeout=0.5):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("the benchmark worker did not start")
    return proc


def _rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")

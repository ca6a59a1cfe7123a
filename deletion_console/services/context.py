"""What a chunk of work on a job knows: read once when the chunk starts, passed down."""

from dataclasses import dataclass

from deletion_console import logcontext
from deletion_console.engine.plan import Plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob


@dataclass
class Chunk:
    job: DeletionJob  # refreshed by every change recorded, under the row lock
    plan: Plan
    step: str
    run: int
    chunk: int
    attempt: int

    def __post_init__(self):
        # A chunk's context is built right after it reads the job: from here on its log lines
        # carry the job's kind, target and attempt as well as what the task was given.
        logcontext.bind_job(self.job, attempt=self.attempt)

    @property
    def cursor(self) -> dict:
        return self.job.steps.get(self.step, {}).get("cursor") or {}

    def is_current(self, job: DeletionJob) -> bool:
        """Whether this chunk is still the job's live one (not superseded by a newer run, a
        newer chunk of the same step, or the end of the job)."""
        return job.run == self.run and job.chunk == self.chunk and job.status not in TERMINAL_STATUSES

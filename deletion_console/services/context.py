"""What a chunk of work on a job knows: read once when the chunk starts, passed down."""

from dataclasses import dataclass

from deletion_console.engine.plan import Plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob

# A step in one of these states has nothing more to do in this run.
OVER_STATES = ("done", "failed", "cancelled")


@dataclass
class Chunk:
    job: DeletionJob  # refreshed by every change recorded, under the row lock
    plan: Plan
    step: str
    run: int
    chunk: int
    attempt: int

    @property
    def state(self) -> dict:
        return self.job.steps.get(self.step, {})

    @property
    def cursor(self) -> dict:
        return self.state.get("cursor") or {}

    def is_current(self, job: DeletionJob) -> bool:
        """Whether this chunk is still its step's live one (not superseded by a newer run, a
        newer chunk of the same step, the end of the step, or the end of the job)."""
        state = job.steps.get(self.step, {})
        return (
            job.run == self.run
            and state.get("chunk") == self.chunk
            and state.get("state") not in OVER_STATES
            and job.status not in TERMINAL_STATUSES
        )

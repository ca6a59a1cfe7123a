"""What a chunk of work on a job knows: read once when the chunk starts, passed down."""

from dataclasses import dataclass

from deletion_console.engine.plan import Plan
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, StepRecord


@dataclass
class Chunk:
    job: DeletionJob  # refreshed by every change recorded, under the row lock
    plan: Plan
    step: str
    run: int
    chunk: int
    attempt: int
    # The message [step, run, chunk] this task was sent for, when it ran on from that one.
    by: list | None = None
    # The worker running it ("node#boot"): recorded on the step with each write (see lifecycle).
    worker: str = ""
    # Whether the step's lost batch, if any, has been settled in this chunk (see InFlightBatch).
    settled: bool = False

    @property
    def message(self) -> list:
        return self.by or [self.step, self.run, self.chunk]

    @property
    def state(self) -> StepRecord:
        return self.job.step(self.step)

    @property
    def cursor(self) -> dict:
        return self.state.cursor

    def is_current(self, job: DeletionJob) -> bool:
        """Whether this chunk is still its step's live one (not superseded by a newer run, a
        newer chunk of the same step, the end of the step, or the end of the job)."""
        record = job.step(self.step)
        return (
            job.run == self.run
            and record.chunk == self.chunk
            and not record.is_over
            and job.status not in TERMINAL_STATUSES
        )

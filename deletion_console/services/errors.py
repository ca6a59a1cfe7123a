"""Every refusal the console's services raise, with the HTTP status an API answers it with.

A refusal is the caller's to fix (a typo, a stale preview, a job in the wrong state); its
message says what to do. The DRF exception handler (api.exceptions) turns each one into its
response through `http_status` and `body()`, so no view needs an except-ladder; the pages show
the message; the message consumer dead-letters the request with it.
"""

from http import HTTPStatus


class DeletionRefused(Exception):
    """A request the console will not carry out; the message says why and what to do."""

    http_status = HTTPStatus.BAD_REQUEST
    # The request field the message is about, for a {field: [message]} body; None: {"detail": message}.
    field: str | None = None

    def body(self) -> dict:
        if self.field:
            return {self.field: [str(self)]}
        return {"detail": str(self)}


class TargetNotFound(DeletionRefused):
    http_status = HTTPStatus.NOT_FOUND


class NameMismatch(DeletionRefused):
    field = "confirm_name"


class PreviewTokenRequired(DeletionRefused):
    field = "preview_token"


class InvalidPreviewToken(DeletionRefused):
    field = "preview_token"


class PreviewChanged(DeletionRefused):
    """What would be deleted is no longer what the person was shown; `current` is what is."""

    http_status = HTTPStatus.CONFLICT

    def __init__(self, current):
        self.current = current
        super().__init__(
            "What would be deleted has changed since it was previewed. Review the new counts and confirm again."
        )


class _AboutJob(DeletionRefused):
    """A refusal about an existing job: the body names it, so the caller can follow it."""

    http_status = HTTPStatus.CONFLICT

    def __init__(self, message: str, job):
        self.job = job
        super().__init__(message)

    def body(self) -> dict:
        return {"detail": str(self), "job_id": str(self.job.pk), "status": self.job.status}


class ActiveJobExists(_AboutJob):
    def __init__(self, job):
        super().__init__(f"A deletion of this {job.kind} is already {job.status} (job {job.pk}).", job)


class JobIdTaken(_AboutJob):
    """The id the caller chose for the new job already names a job (`job`)."""

    def __init__(self, job):
        super().__init__(f"Job id {job.pk} is already taken, by a deletion of {job.kind} {job.target_id!r}.", job)


class JobStateError(_AboutJob):
    """The job's status does not allow the action (the lifecycle's transition table says which do)."""


class ApprovalExpired(JobStateError):
    pass


class ResumeRefused(JobStateError):
    """The job stopped, but what it was confirmed against no longer holds (its target, its counts,
    its age): running it again would delete what nobody confirmed. The message says what to do."""


class PersonMustResume(ResumeRefused):
    """A person asked this job to stop; a service account may not overrule them."""

    http_status = HTTPStatus.FORBIDDEN


class ResumeCheckUnavailable(ResumeRefused):
    """A store could not be read to check the job again; nothing was resumed."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE


class ApprovalRefused(DeletionRefused):
    """This person may not decide on this request."""

    http_status = HTTPStatus.FORBIDDEN


class KeyReused(DeletionRefused):
    """The client's Idempotency-Key was first sent for another target (`earlier`)."""

    http_status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, earlier):
        self.earlier = earlier
        super().__init__(
            f"This Idempotency-Key was first sent to delete {earlier.kind} {earlier.target_id!r}; "
            "use a new key for another request."
        )


class SweepRunning(DeletionRefused):
    """A person's “Sweep now” while a sweep is unfinished: one at a time (each reads every container)."""

    http_status = HTTPStatus.CONFLICT

    def __init__(self, sweep):
        self.sweep = sweep
        super().__init__(
            f"A sweep started at {sweep.created_at:%Y-%m-%d %H:%M:%S} is still running: one sweep at a time. "
            "Reload the Orphans page once it has finished."
        )


class BulkRefused(DeletionRefused):
    """The bulk request as a whole was refused; `problems` names each target that stopped it."""

    def __init__(self, message: str, problems: dict[str, str] | None = None):
        self.problems = problems or {}
        super().__init__(message)

    def body(self) -> dict:
        return {"detail": str(self), "problems": self.problems}


class NoTargetFound(BulkRefused):
    """None of the targets a preview names exists (nor was deleted by an earlier job)."""

    http_status = HTTPStatus.NOT_FOUND


class MalformedRequest(DeletionRefused):
    """The message is not a request the console can read (services.intake)."""


class UnidentifiedSender(DeletionRefused):
    """A request message whose sender the broker does not vouch for, or who is no service account."""

    http_status = HTTPStatus.UNAUTHORIZED


class SenderNotPermitted(DeletionRefused):
    """A request message from a service account that is revoked or may not request this deletion."""

    http_status = HTTPStatus.FORBIDDEN


class RequestIdReused(DeletionRefused):
    """A request message whose request_id already names the deletion of another target."""

    def __init__(self, job):
        self.job = job
        super().__init__(
            f"request_id {job.pk} already names the deletion of {job.kind} {job.target_id!r}; "
            "a new request needs a new request_id."
        )

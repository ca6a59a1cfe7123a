"""Fields bound to every log line written while a job is being worked on, in a worker or the web.

`bound(...)` opens a scope (a task run, a request) and `bind(...)` adds to the innermost one;
`JobContextFilter`, installed on the log handlers, copies the fields onto each record. The
fields live in a context variable, so threads and asyncio tasks each keep their own.
"""

import contextvars
import logging
from collections.abc import Mapping
from contextlib import contextmanager
from types import MappingProxyType

# Bound on job lines: job_id, kind, target_id, step, run, chunk, attempt (and request_id on web lines).
_fields: contextvars.ContextVar[Mapping] = contextvars.ContextVar("deletion_log_fields", default=MappingProxyType({}))


def open_scope(**fields) -> contextvars.Token:
    """For scopes that begin and end in different callbacks (Celery's task signals)."""
    return _fields.set({**_fields.get(), **_clean(fields)})


def close_scope(token: contextvars.Token) -> None:
    """Drops the scope's fields and everything `bind` added inside it."""
    _fields.reset(token)


@contextmanager
def bound(**fields):
    token = open_scope(**fields)
    try:
        yield
    finally:
        close_scope(token)


@contextmanager
def isolated():
    """A scope that starts with no fields, whatever an enclosing one (or a stray `bind`) left."""
    token = _fields.set(MappingProxyType({}))
    try:
        yield
    finally:
        _fields.reset(token)


def bind(**fields) -> None:
    """Add fields until the enclosing `bound` scope ends (outside one, for the rest of the context)."""
    _fields.set({**_fields.get(), **_clean(fields)})


def bind_job(job, *, attempt: int | None = None) -> None:
    """What only the job row tells: called by the engine once a chunk has read its job."""
    bind(job_id=job.pk, kind=job.kind, target_id=job.target_id, attempt=attempt or job.attempt)


def current() -> dict:
    return dict(_fields.get())


def _clean(fields: dict) -> dict:
    return {key: value if isinstance(value, int | float | bool) else str(value) for key, value in fields.items()}


class JobContextFilter(logging.Filter):
    """Puts the bound fields on the record as `context` (formatters pick them up from there)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = {**_fields.get(), **getattr(record, "context", {})}
        return True

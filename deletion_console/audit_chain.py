"""The hash chains over the audit events: what one link is computed from.

Each event's hash is SHA-256 over the previous event's hash (of the same job) and the event's
own canonical content, so changing, removing or inserting an event breaks every link from there
on. The model computes it once, when the event is appended; the audit selector recomputes it to
verify; the migration that introduced the chain used it to backfill.

The audit log chains every job's events into one sequence: its entry at each position names the
job, the event's place in that job's trail and the event's hash, and its own hash covers the
entry before it. The database appends the entry (a trigger, as the event's transaction commits),
so removing a job's last event, its whole trail or the job leaves an entry naming them.

Changing anything here breaks every existing chain, so it is versioned by the chain's start
value rather than edited; the facts were added as a field that an event without any leaves out
of its content, so the chains written before them still verify.
"""

import hashlib
import json
from datetime import UTC

# The "previous hash" of a job's first event.
GENESIS = "0" * 64

CONTENT_FIELDS = ("job", "step", "kind", "run", "counts", "attempt", "seconds", "message", "created_at", "facts")


def event_content(event) -> dict:
    """The fields an event's hash covers, normalised to what they read back as from the database
    (a float column returns 0.0 for a saved 0, a JSON column returns string keys)."""
    return {
        "job": str(event.job_id),
        "step": event.step,
        "kind": event.kind,
        "run": None if event.run is None else int(event.run),
        "counts": json.loads(json.dumps(event.counts)),
        "attempt": int(event.attempt),
        "seconds": None if event.seconds is None else float(event.seconds),
        "message": event.message,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        # Read with getattr: the migration that introduced the chain hashes events that have no facts yet.
        **({"facts": json.loads(json.dumps(facts))} if (facts := getattr(event, "facts", None)) else {}),
    }


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: str, content: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(content)).hexdigest()


def log_link(prev_hash: str, *, position: int, job_id, job_position: int, event_id: int, event_hash: str) -> str:
    """An audit log entry's hash, as the database's trigger computes it (migration 0014)."""
    text = "|".join((prev_hash, str(position), str(job_id), str(job_position), str(event_id), event_hash))
    return hashlib.sha256(text.encode()).hexdigest()

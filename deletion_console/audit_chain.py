"""The hash chain over a job's audit events: what one link is computed from.

Each event's hash is SHA-256 over the previous event's hash and the event's own canonical
content, so changing, removing or inserting an event breaks every link from there on. The
model computes it once, when the event is appended; the audit selector recomputes it to verify;
the migration that introduced the chain used it to backfill. Changing anything here breaks every
existing chain, so it is versioned by the chain's start value rather than edited.
"""

import hashlib
import json
from datetime import UTC

# The "previous hash" of a job's first event.
GENESIS = "0" * 64

CONTENT_FIELDS = ("job", "step", "kind", "run", "counts", "attempt", "seconds", "message", "created_at")


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
    }


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(prev_hash: str, content: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(content)).hexdigest()

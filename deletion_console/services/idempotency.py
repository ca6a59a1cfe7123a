"""Deletion requests made at most once per client and `Idempotency-Key`: a client that retries
after a lost response gets the job its first attempt created, never a second job."""

from django.db import IntegrityError, transaction

from deletion_console.models import DeletionJob, IdempotencyKey
from deletion_console.services.errors import ActiveJobExists, KeyReused
from deletion_console.services.jobs import Confirmation, request_deletion


def request_deletion_once(
    *, key: str | None, kind: str, target_id: str, confirmation: Confirmation, user
) -> tuple[DeletionJob, bool]:
    """The job for this request and whether it was created now (False: the key's earlier job)."""
    if not key:
        return request_deletion(kind=kind, target_id=target_id, confirmation=confirmation, user=user), True
    earlier = _earlier(user, key)
    if earlier is not None:
        return _same_request(earlier, kind, target_id), False
    try:
        # One transaction for the job and its key: if a simultaneous request with the same key
        # wins, this job is rolled back with the key, and its first chunk is never queued.
        with transaction.atomic():
            job = request_deletion(kind=kind, target_id=target_id, confirmation=confirmation, user=user)
            IdempotencyKey.objects.create(user=user, key=key, job=job, kind=kind, target_id=target_id)
    except (IntegrityError, ActiveJobExists):
        # The simultaneous request with this key may be the active job this one ran into.
        earlier = _earlier(user, key)
        if earlier is None:
            raise
        return _same_request(earlier, kind, target_id), False
    return job, True


def _earlier(user, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.select_related("job").filter(user=user, key=key).first()


def _same_request(earlier: IdempotencyKey, kind: str, target_id: str) -> DeletionJob:
    if (earlier.kind, earlier.target_id) != (kind, target_id):
        raise KeyReused(earlier)
    return earlier.job

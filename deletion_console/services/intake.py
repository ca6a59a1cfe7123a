"""Deletion requests that arrive as broker messages (README "Requests by message").

A message routed `<kind>.delete.requested` carries `{<kind>_id, request_id, user_id, timestamp}`
and optionally `preview_token`. It becomes a job through the same `jobs.request_deletion` as a
click on the confirm page, with the message's `request_id` as the job's id: the broker delivers
at least once, and a message carried twice finds its job instead of making a second one.

A message is taken only from a service account: its sender is the broker user the broker vouches
for (the consumer says which, or None), which must be an unrevoked account's `broker_user`, and
that account must hold the permission to request deletions. The job names the account's user as
its requester and the body's `user_id` as the person it was requested for; neither may approve it.

Everything here either returns what became of the request or raises a `DeletionRefused` whose
message is the reason, for the dead-letter queue; any other exception is an error, not a
refusal, and the consumer tries the message again.
"""

import json
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from deletion_console.engine.plan import UnknownKind, get_plan, kinds
from deletion_console.models import DeletionJob, ServiceAccount, TokenAction
from deletion_console.permissions import can_request_deletion
from deletion_console.selectors.service_accounts import token_may
from deletion_console.services import jobs
from deletion_console.services.errors import (
    ActiveJobExists,
    JobIdTaken,
    MalformedRequest,
    RequestIdReused,
    SenderNotPermitted,
    UnidentifiedSender,
)

ACTION = "requested"
# DeletionJob.target_id's length (a longer id names no target the console could record), and
# the most of a user_id the audit trail keeps.
TEXT_MAX_LENGTH = 255
# Control, format (invisible) and surrogate characters: no store takes a NUL, PostgreSQL cannot
# encode a lone surrogate, and the others would make an id that reads as another in the pages.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs"}


@dataclass(frozen=True)
class DeletionRequest:
    kind: str
    target_id: str
    request_id: uuid.UUID
    user_id: str
    timestamp: str
    preview_token: str | None = None

    def requester(self, account: ServiceAccount) -> str:
        """Who asked, as the job's "requested" audit event records it."""
        return f"by {account.user.get_username()} by message, on behalf of user {self.user_id}, sent {self.timestamp}"


@dataclass(frozen=True)
class Intake:
    job: DeletionJob
    created: bool  # False: the message was a repeat, and `job` is the one it made before


def binding_keys() -> list[str]:
    """The routing keys of every kind's requests (and only theirs), for the queue's bindings."""
    return [f"{kind}.delete.*" for kind in kinds()]


def parse_request(*, routing_key: str, body: bytes | str) -> DeletionRequest:
    """The request a message carries, or MalformedRequest saying what is wrong with it."""
    kind = _kind_of(routing_key)
    _check_size(body)
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedRequest(f"The body is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise MalformedRequest(f"The body is JSON but not an object (it is a {type(data).__name__}).")
    id_field = f"{kind}_id"
    missing = [name for name in (id_field, "request_id", "user_id", "timestamp") if data.get(name) in (None, "")]
    if missing:
        raise MalformedRequest(f"The body lacks {', '.join(missing)}.")
    token = data.get("preview_token")
    if token is not None and not isinstance(token, str):
        raise MalformedRequest("preview_token must be a string.")
    if token:
        _check_characters(token, "preview_token")
    return DeletionRequest(
        kind=kind,
        target_id=_bounded_text(data[id_field], id_field),
        request_id=_request_id(data["request_id"]),
        user_id=_bounded_text(data["user_id"], "user_id"),
        timestamp=_timestamp(data["timestamp"]),
        preview_token=token or None,
    )


def take_request(*, routing_key: str, body: bytes | str, sender: str | None) -> Intake:
    """Create the job a message asks for, or find the one an earlier copy of it created.

    `sender` is the broker user the broker vouches for as the message's publisher (None: it
    vouches for none): the request is that service account's, or refused.
    """
    account = sending_account(sender)
    request = parse_request(routing_key=routing_key, body=body)
    _check_permitted(account, request)
    earlier = DeletionJob.objects.filter(pk=request.request_id).first()
    if earlier is not None:
        return Intake(job=_same_request(earlier, request), created=False)
    confirmation = jobs.Confirmation(shown=request.preview_token, by_message=True)
    try:
        job = jobs.request_deletion(
            kind=request.kind,
            target_id=request.target_id,
            confirmation=confirmation,
            job_id=request.request_id,
            user=account.user,
            by=request.requester(account),
            requested_for=request.user_id,
        )
    except JobIdTaken as exc:
        # Another copy of this message, handled at the same moment, created it first.
        return Intake(job=_same_request(exc.job, request), created=False)
    except ActiveJobExists as exc:
        if exc.job.pk != request.request_id:
            raise
        return Intake(job=exc.job, created=False)
    return Intake(job=job, created=True)


def sending_account(sender: str | None) -> ServiceAccount:
    """The unrevoked service account whose broker user sent the message, or the refusal."""
    if not sender:
        raise UnidentifiedSender(
            "The message does not say who sent it (no user_id property): requests are taken only from a "
            "service account's broker user, set as the message's user_id property."
        )
    account = ServiceAccount.objects.select_related("user").filter(broker_user=sender).first()
    if account is None:
        raise UnidentifiedSender(f"Broker user {sender!r} is no service account's broker user.")
    if account.is_revoked:
        raise SenderNotPermitted(f"Service account {account.name} (broker user {sender!r}) is revoked.")
    return account


def _check_permitted(account: ServiceAccount, request: DeletionRequest) -> None:
    # A message asks what a token asks with POST: the account's permission, and its scope on the kind.
    who = f"Service account {account.name} (broker user {account.broker_user!r})"
    if not can_request_deletion(account.user):
        raise SenderNotPermitted(
            f"{who} may not request the deletion of a {request.kind}: it lacks the permission to request deletions."
        )
    if not token_may(account, kind=request.kind, action=TokenAction.REQUEST):
        raise SenderNotPermitted(
            f"{who} may not request the deletion of a {request.kind}: its scopes do not include request on "
            f"{request.kind} (set them on its admin page)."
        )


def _same_request(job: DeletionJob, request: DeletionRequest) -> DeletionJob:
    if (job.kind, job.target_id) != (request.kind, request.target_id):
        raise RequestIdReused(job)
    return job


def _kind_of(routing_key: str) -> str:
    kind, _, action = (routing_key or "").partition(".delete.")
    if not kind or action != ACTION:
        raise MalformedRequest(
            f"Routing key {routing_key!r} is not a deletion request: requests are routed <kind>.delete.{ACTION}."
        )
    try:
        get_plan(kind)
    except UnknownKind as exc:
        raise MalformedRequest(str(exc)) from None
    return kind


def _text(value, name: str) -> str:
    # Numbers are accepted as well: a publisher's own ids are often integers.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedRequest(f"{name} must be a string (or an integer), not {type(value).__name__}.")
    return str(value).strip()


def _bounded_text(value, name: str) -> str:
    text = _text(value, name)
    if not text:
        raise MalformedRequest(f"The body lacks {name}.")
    if len(text) > TEXT_MAX_LENGTH:
        raise MalformedRequest(f"{name} is longer than {TEXT_MAX_LENGTH} characters.")
    _check_characters(text, name)
    return text


def _check_characters(text: str, name: str) -> None:
    for char in text:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            raise MalformedRequest(f"{name} holds a control character (U+{ord(char):04X}).")


def _check_size(body: bytes | str) -> None:
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    if size > settings.DELETION_REQUESTS_MAX_BYTES:
        raise MalformedRequest(
            f"The body is {size} bytes long; a request is at most {settings.DELETION_REQUESTS_MAX_BYTES}."
        )


def _request_id(value) -> uuid.UUID:
    # The job's id is a UUID: anything else could not be the job a repeat of the message finds.
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise MalformedRequest(f"request_id {value!r} is not a UUID.") from None


def _timestamp(value) -> str:
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        raise MalformedRequest(f"timestamp {value!r} is not an ISO 8601 date and time.") from None
    return str(value)

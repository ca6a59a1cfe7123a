"""The JSON API: the same services and selectors as the pages, the same permission.

People call it with their session (or basic auth) and confirm by typing the name; other
services with a service account's bearer token, confirming with the preview's signed token.
A token may do only what its scopes allow on the kind a route is about (permissions.TokenScope):
each view says which action it is (`token_action`) and which kinds it is about (`scope_kinds`).
"""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from deletion_console.api import serializers as s
from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import BulkRequest, DeletionJob, PreviewRequest, ServiceAccount, TokenAction
from deletion_console.permissions import CanRequestDeletion, TokenScope
from deletion_console.selectors.bulk import (
    bulk_snapshot,
    get_bulk_request,
    kind_of_bulk_request,
    user_can_view_bulk_request,
)
from deletion_console.selectors.jobs import get_job, job_snapshot, kind_of_job, user_can_view_job
from deletion_console.selectors.previews import (
    get_preview_request,
    kind_of_preview,
    preview_state,
    user_can_view_preview,
)
from deletion_console.services import bulk
from deletion_console.services import jobs as job_services
from deletion_console.services.background_preview import start_preview
from deletion_console.services.idempotency import request_deletion_once
from deletion_console.services.preview import Preview, preview

# ---- documented errors, shared by the operations ----

E400 = OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid request: {field: [message]} or {detail}.")
E401 = OpenApiResponse(s.ErrorSerializer, description="No credentials, or an unknown or revoked token.")
E403 = OpenApiResponse(
    s.ErrorSerializer,
    description="Without the “request deletion” permission, or a token whose scopes do not allow this "
    "action on this kind (or, for a resume, a token resuming a job a person cancelled).",
)
E404 = OpenApiResponse(s.ErrorSerializer, description="No such kind, target or job.")
E409 = OpenApiResponse(
    s.ConflictSerializer,
    description="A job is already active for the target, the job is in the wrong state, or the data changed "
    "since the preview (the body then has the current preview and a new token).",
)
E422 = OpenApiResponse(s.ErrorSerializer, description="This Idempotency-Key was used for another target.")
E429 = OpenApiResponse(s.ErrorSerializer, description="Too many requests for this token; see Retry-After.")
E503 = OpenApiResponse(s.ErrorSerializer, description="A store could not be read to re-check the job; try again.")
READ_ERRORS = {401: E401, 403: E403, 404: E404}
E400_ID = OpenApiResponse(
    s.ErrorSerializer, description="The target id has a control character or over 255 characters."
)
E429_PREVIEW = OpenApiResponse(
    s.ErrorSerializer, description="Too many previews for this token or person; see Retry-After."
)
# A preview counts the target in every store: its id is checked first and its rate is limited.
PREVIEW_ERRORS = {400: E400_ID, **READ_ERRORS, 429: E429_PREVIEW}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 409: E409, 422: E422, 429: E429}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The same key (per client) returns the job its first request created, with 200, "
    "instead of creating another.",
)
IDEMPOTENCY_KEY_MAX = 255


READERS = [IsAuthenticated, TokenScope]
DELETERS = [IsAuthenticated, CanRequestDeletion, TokenScope]


def _known(kinds) -> list[str]:
    # An unknown kind is the view's to answer (404), not the token's scopes'.
    known = []
    for kind in kinds:
        try:
            get_plan(kind)
        except UnknownKind:
            continue
        known.append(kind)
    return known


class ApiView(APIView):
    # A service's refusal (services.errors) answers with its own status: api.exceptions.handle.
    parser_classes = [JSONParser]
    permission_classes = READERS
    token_action = TokenAction.READ
    # A route about a job hides it from a token with no scope on its kind (TokenScope).
    hides_unscoped = False
    not_found_message = "Not found."
    # The route's kind, when its URL fixes one.
    fixed_kind: str | None = None

    def scope_kinds(self, request) -> list[str]:
        return [self.fixed_kind] if self.fixed_kind else []


class _JobView(ApiView):
    hides_unscoped = True
    not_found_message = "No such deletion job."
    job_kwarg = "job_id"

    def scope_kinds(self, request) -> list[str]:
        kind = kind_of_job(self.kwargs[self.job_kwarg])
        return [kind] if kind else []


def _visible_job(request, job_id) -> DeletionJob:
    try:
        job = get_job(job_id)
    except DeletionJob.DoesNotExist:
        raise NotFound("No such deletion job.") from None
    if not user_can_view_job(request.user, job):
        raise PermissionDenied("You may not see this deletion job.")
    return job


def _found_preview(kind: str, target_id: str) -> Preview:
    try:
        noun = get_plan(kind).noun
    except UnknownKind as exc:
        raise NotFound(str(exc)) from None
    # What no store can hold (PostgreSQL refuses NUL in text) is no target's id.
    if "\x00" in target_id or len(target_id) > 255:
        raise NotFound(f"No {noun} with id {target_id!r} was found.")
    found = preview(kind, target_id)
    if not found.exists:
        raise NotFound(f"No {noun} with id {target_id!r} was found.")
    return found


def _idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError({"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]})
    return key or None


def _confirm(request, data: dict) -> job_services.Confirmation:
    return job_services.Confirmation(
        data.get("confirm_name", ""),
        shown=data.get("preview_token"),
        by_service=isinstance(request.auth, ServiceAccount),
    )


def submit(request, *, kind: str, target_id: str, confirmation: dict) -> tuple[DeletionJob, bool]:
    """Request the deletion for the caller; the job, and whether it is new (False: the one an
    earlier request with the same Idempotency-Key created)."""
    confirm = _confirm(request, confirmation)
    return request_deletion_once(
        key=_idempotency_key(request), kind=kind, target_id=target_id, confirmation=confirm, user=request.user
    )


def _confirmation(request) -> dict:
    # OpenAPI gives DELETE no body, so it is documented with query parameters; a body works too.
    fields = ("confirm_name", "preview_token")
    data = {name: request.query_params[name] for name in fields if name in request.query_params}
    if isinstance(request.data, dict):
        data.update({name: request.data[name] for name in fields if name in request.data})
    serializer = s.ConfirmationSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


CONFIRMATION_QUERY = [
    OpenApiParameter(
        "preview_token",
        OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        description="The preview's token (service accounts must send it).",
    ),
    OpenApiParameter(
        "confirm_name", OpenApiTypes.STR, OpenApiParameter.QUERY, description="The tenant's name, typed by a person."
    ),
]


@extend_schema(tags=["deletions"])
class TargetPreviewView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.PREVIEW

    def scope_kinds(self, request) -> list[str]:
        return _known([self.kwargs["kind"]])

    @extend_schema(
        summary="What deleting the target would remove",
        responses={200: s.PreviewSerializer, **PREVIEW_ERRORS},
    )
    def get(self, request, target_id, kind):
        return Response(s.preview_data(_found_preview(kind, target_id)))


@extend_schema(tags=["deletions"])
class PreviewsView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.PREVIEW

    def scope_kinds(self, request) -> list[str]:
        kind = request.data.get("kind") if isinstance(request.data, dict) else None
        return _known([kind]) if isinstance(kind, str) else []

    @extend_schema(
        summary="Preview many targets, counted in the background",
        description="Records a preview of up to DELETION_BATCH_MAX_TARGETS targets of one kind and answers "
        "at once (202): the workers count them, target by target, with the same plan items that delete "
        "them. Follow `Location` (GET) for the progress and the counts; each target's counts come with "
        "its `preview_token`, which confirms a deletion as the single preview's does (valid an hour).",
        request=s.PreviewRequestSerializer,
        responses={
            202: OpenApiResponse(s.PreviewProgressSerializer, description="Recorded; counting."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Invalid request: {field: [message]}, or {detail} for too many targets.",
            ),
            401: E401,
            403: E403,
            404: OpenApiResponse(s.ErrorSerializer, description="None of the targets was found."),
            429: E429_PREVIEW,
        },
    )
    def post(self, request):
        serializer = s.PreviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        started = start_preview(kind=data["kind"], target_ids=data["target_ids"], user=request.user)
        location = reverse("api:preview-detail", args=[started.pk])
        body = s.preview_progress_data(preview_state(started))
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


@extend_schema(tags=["deletions"])
class PreviewDetailView(ApiView):
    """A background preview is its requester's alone: its tokens confirm deletions."""

    permission_classes = DELETERS
    token_action = TokenAction.PREVIEW
    hides_unscoped = True
    not_found_message = "No such preview."

    def scope_kinds(self, request) -> list[str]:
        kind = kind_of_preview(self.kwargs["preview_id"])
        return [kind] if kind else []

    @extend_schema(
        summary="A background preview: its progress, then its counts",
        description="`status` is `counting` until every target is counted (`counted` of `targets`), then "
        "`done`, with every target's preview and `preview_token`; `failed`, with `error`, if a store could "
        "not be read (ask again with a new POST). Poll about once a second.",
        responses={200: s.PreviewProgressSerializer, 401: E401, 403: E403, 404: E404},
    )
    def get(self, request, preview_id):
        try:
            found = get_preview_request(preview_id)
        except PreviewRequest.DoesNotExist:
            raise NotFound("No such preview.") from None
        if not user_can_view_preview(request.user, found):
            raise NotFound("No such preview.")
        return Response(s.preview_progress_data(preview_state(found)))


def submit_bulk(request, items: list) -> BulkRequest:
    """A list of requests, each confirmed as a single one would be, as one bulk request: all or none."""
    if _idempotency_key(request):
        raise ValidationError({"Idempotency-Key": ["Not supported for a list; a list's jobs are one batch."]})
    if not items:
        raise ValidationError({"detail": "An empty list requests nothing: send at least one deletion request."})
    serializer = s.DeletionRequestSerializer(data=items, many=True)
    if not serializer.is_valid():
        raise ValidationError({"items": serializer.errors})
    kinds_named = {item["kind"] for item in serializer.validated_data}
    if len(kinds_named) > 1:
        raise ValidationError({"kind": ["All targets of one bulk request must be of one kind."]})
    confirmations = {item["target_id"]: _confirm(request, item) for item in serializer.validated_data}
    if len(confirmations) != len(items):
        raise ValidationError({"target_id": ["Each target may appear once in a bulk request."]})
    return bulk.request_bulk(kind=kinds_named.pop(), confirmations=confirmations, user=request.user)


DELETION_REQUEST = PolymorphicProxySerializer(
    component_name="DeletionRequestOrList",
    serializers=[s.DeletionRequestSerializer, s.DeletionRequestSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


@extend_schema(tags=["deletions"])
class DeletionsView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.REQUEST

    def scope_kinds(self, request) -> list[str]:
        items = request.data if isinstance(request.data, list) else [request.data]
        # Whatever the body holds: the serializer refuses what is no kind, after this.
        named = {item.get("kind") for item in items if isinstance(item, dict) and isinstance(item.get("kind"), str)}
        return _known(sorted(named))

    @extend_schema(
        summary="Request a deletion, or many as one batch",
        description="People confirm with `confirm_name` (typed exactly); service accounts with the "
        "`preview_token` of the preview they were shown. Either may send `preview_token`: if the data "
        "changed since, the request is refused with 409 and the current preview.\n\n"
        "A list of such requests (one kind) is a bulk deletion: one batch, created whole or not at all "
        "(400 naming each target that stopped it), whose jobs run at most DELETION_BATCH_MAX_RUNNING at "
        "once; the answer is the batch, at `Location`.",
        request=DELETION_REQUEST,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="JobOrBatch",
                    serializers=[s.JobSerializer, s.BatchSerializer],
                    resource_type_field_name=None,
                ),
                description="The job (or, for a list, the batch) was created and queued.",
            ),
            200: OpenApiResponse(s.JobSerializer, description="The job an earlier request with this key created."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request):
        if isinstance(request.data, list):
            requested = submit_bulk(request, request.data)
            location = reverse("api:batch-detail", args=[requested.pk])
            return Response(bulk_snapshot(requested), status=status.HTTP_201_CREATED, headers={"Location": location})
        serializer = s.DeletionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job, created = submit(request, kind=data["kind"], target_id=data["target_id"], confirmation=data)
        location = reverse("api:deletion-detail", args=[job.pk])
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(job_snapshot(job), status=code, headers={"Location": location})


@extend_schema(tags=["deletions"])
class BatchDetailView(ApiView):
    """Also what the batch page polls."""

    hides_unscoped = True
    not_found_message = "No such bulk deletion."

    def scope_kinds(self, request) -> list[str]:
        kind = kind_of_bulk_request(self.kwargs["batch_id"])
        return [kind] if kind else []

    @extend_schema(summary="A bulk deletion and its jobs", responses={200: s.BatchSerializer, **READ_ERRORS})
    def get(self, request, batch_id):
        try:
            requested = get_bulk_request(batch_id)
        except BulkRequest.DoesNotExist:
            raise NotFound("No such bulk deletion.") from None
        if not user_can_view_bulk_request(request.user, requested):
            raise PermissionDenied("You may not see this bulk deletion.")
        return Response(bulk_snapshot(requested))


@extend_schema(tags=["deletions"])
class DeletionDetailView(_JobView):
    """Also the status the progress page polls when its WebSocket cannot open."""

    @extend_schema(summary="A deletion job", responses={200: s.JobSerializer, **READ_ERRORS})
    def get(self, request, job_id):
        return Response(job_snapshot(_visible_job(request, job_id)))


def run_action(request, job_id, service) -> DeletionJob:
    """Run `service`, taking (job_id, user), on a job the caller may see."""
    job = _visible_job(request, job_id)
    service(job.pk, request.user)
    return get_job(job.pk)


class _JobActionView(_JobView):
    permission_classes = DELETERS
    # Not `action`: DRF and drf-spectacular read that name as a viewset's action.
    service = None

    def post(self, request, job_id):
        return Response(job_snapshot(run_action(request, job_id, self.service)))


ACTION_RESPONSES = {200: s.JobSerializer, 401: E401, 403: E403, 404: E404, 409: E409, 429: E429}
RESUME_RESPONSES = {
    **ACTION_RESPONSES,
    409: OpenApiResponse(
        s.ConflictSerializer,
        description="The job is in the wrong state, or may no longer be resumed: its target is gone and it "
        "deleted none of it, its data grew beyond DELETION_RESUME_MAX_DRIFT, or it is older than "
        "DELETION_RESUME_MAX_AGE_SECONDS. Request a new deletion instead.",
    ),
    503: E503,
}


@extend_schema(tags=["deletions"])
@extend_schema(
    methods=["POST"],
    summary="Cancel a job (it stops between two batches)",
    request=None,
    responses=ACTION_RESPONSES,
)
class CancelView(_JobActionView):
    token_action = TokenAction.CANCEL
    service = staticmethod(job_services.cancel)


@extend_schema(tags=["deletions"])
@extend_schema(
    methods=["POST"],
    summary="Resume a failed or cancelled job",
    description="The job is checked again first: a job a person cancelled is resumed only by a person "
    "(a token gets 403), and the job's target, its counts and its age must still allow it (409).",
    request=None,
    responses=RESUME_RESPONSES,
)
class ResumeView(_JobActionView):
    token_action = TokenAction.RESUME
    service = staticmethod(job_services.resume)


# ---- routes for clients written against the seeds: thin, onto the same services ----


@extend_schema(tags=["seed-compatible"])
class SeedCampaignDeletionView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.REQUEST
    fixed_kind = "campaign"

    @extend_schema(
        summary="Seed 000: request a campaign's deletion",
        description="The same request as POST /api/deletions/ with kind `campaign`; the body carries "
        "`preview_token` (service accounts) or `confirm_name` (people). Answers 202 with the `request_id`.",
        request=s.ConfirmationSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: OpenApiResponse(s.SeedStatusSerializer, description="Queued."),
            200: OpenApiResponse(s.SeedStatusSerializer, description="The job an earlier request with this key made."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, campaign_id):
        job, created = submit(request, kind="campaign", target_id=campaign_id, confirmation=_confirmation(request))
        code = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        return Response(s.seed_status(job), status=code, headers={"Location": reverse("api:v1-status", args=[job.pk])})


@extend_schema(tags=["seed-compatible"])
class SeedStatusView(_JobView):
    job_kwarg = "request_id"

    @extend_schema(summary="Seed 000: a deletion's progress", responses={200: s.SeedStatusSerializer, **READ_ERRORS})
    def get(self, request, request_id):
        return Response(s.seed_status(_visible_job(request, request_id)))


@extend_schema(tags=["seed-compatible"])
class SeedCancelView(_JobView):
    permission_classes = DELETERS
    token_action = TokenAction.CANCEL
    job_kwarg = "request_id"

    @extend_schema(
        summary="Seed 000: cancel a deletion",
        responses={200: s.SeedStatusSerializer, 401: E401, 403: E403, 404: E404, 409: E409, 429: E429},
    )
    def delete(self, request, request_id):
        return Response(s.seed_status(run_action(request, request_id, job_services.cancel)))


@extend_schema(tags=["seed-compatible"])
class SeedTenantPreviewView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.PREVIEW
    fixed_kind = "tenant"

    @extend_schema(
        summary="Seed 004: what deleting the tenant would remove",
        responses={200: s.SeedTenantPreviewSerializer, **PREVIEW_ERRORS},
    )
    def get(self, request, tenant_id):
        return Response(s.seed_tenant_preview(_found_preview("tenant", tenant_id)))


@extend_schema(tags=["seed-compatible"])
class SeedTenantView(ApiView):
    permission_classes = DELETERS
    token_action = TokenAction.REQUEST
    fixed_kind = "tenant"

    @extend_schema(
        summary="Seed 004: delete the tenant's data",
        description="Queues the tenant's deletion in every service (202); follow it at `summary.status_url`. "
        "The query (or a JSON body) carries `preview_token` (service accounts) or `confirm_name` (people).",
        parameters=[*CONFIRMATION_QUERY, IDEMPOTENCY_KEY],
        responses={
            202: OpenApiResponse(s.SeedTenantDeletionSerializer, description="Queued."),
            200: OpenApiResponse(s.SeedTenantDeletionSerializer, description="The job of an earlier request."),
            **WRITE_ERRORS,
        },
    )
    def delete(self, request, tenant_id):
        job, created = submit(request, kind="tenant", target_id=tenant_id, confirmation=_confirmation(request))
        body = {"message": "Tenant data deletion requested", "request_id": str(job.pk), "summary": s.seed_status(job)}
        code = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        return Response(body, status=code, headers={"Location": reverse("api:v1-status", args=[job.pk])})

"""The JSON API: the same services and selectors as the pages, the same permission."""

from django.urls import reverse
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from deletion_console.api.serializers import DeletionRequestSerializer, preview_data
from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.models import DeletionJob
from deletion_console.permissions import CanRequestDeletion
from deletion_console.selectors.jobs import get_job, job_snapshot, user_can_view_job
from deletion_console.services import jobs as job_services
from deletion_console.services.preview import preview


def _conflict(job: DeletionJob, message: str) -> Response:
    return Response(
        {"detail": message, "job_id": str(job.pk), "status": job.status},
        status=status.HTTP_409_CONFLICT,
    )


def _visible_job(request, job_id) -> DeletionJob:
    try:
        job = get_job(job_id)
    except DeletionJob.DoesNotExist:
        raise NotFound("No such deletion job.") from None
    if not user_can_view_job(request.user, job):
        raise PermissionDenied("You may not see this deletion job.")
    return job


class TargetPreviewView(APIView):
    permission_classes = [IsAuthenticated, CanRequestDeletion]

    def get(self, request, target_id, kind):
        try:
            noun = get_plan(kind).noun
        except UnknownKind as exc:
            raise NotFound(str(exc)) from None
        found = preview(kind, target_id)
        if not found.exists:
            raise NotFound(f"No {noun} with id {target_id!r} was found.")
        return Response(preview_data(found))


class DeletionsView(APIView):
    permission_classes = [IsAuthenticated, CanRequestDeletion]

    def post(self, request):
        serializer = DeletionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        confirmation = job_services.Confirmation(data["confirm_name"], shown=data.get("preview_token"))
        try:
            job = job_services.request_deletion(
                kind=data["kind"], target_id=data["target_id"], confirmation=confirmation, user=request.user
            )
        except job_services.ActiveJobExists as exc:
            return _conflict(exc.job, str(exc))
        except job_services.TargetNotFound as exc:
            raise NotFound(str(exc)) from None
        except job_services.NameMismatch as exc:
            return Response({"confirm_name": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except job_services.PreviewChanged as exc:
            body = {"detail": str(exc), "preview": preview_data(exc.current)}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except job_services.DeletionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        location = reverse("api:deletion-detail", args=[job.pk])
        return Response(job_snapshot(job), status=status.HTTP_201_CREATED, headers={"Location": location})


class DeletionDetailView(APIView):
    """Also the status the progress page polls when its WebSocket cannot open."""

    def get(self, request, job_id):
        return Response(job_snapshot(_visible_job(request, job_id)))


class _JobActionView(APIView):
    """POST runs `action`, a service taking (job_id, user), on a job the caller may see."""

    permission_classes = [IsAuthenticated, CanRequestDeletion]
    action = None

    def post(self, request, job_id):
        job = _visible_job(request, job_id)
        try:
            self.action(job.pk, request.user)
        except job_services.ActiveJobExists as exc:
            return _conflict(exc.job, str(exc))
        except job_services.JobStateError as exc:
            return _conflict(job, str(exc))
        return Response(job_snapshot(get_job(job.pk)))


class CancelView(_JobActionView):
    action = staticmethod(job_services.cancel)


class ResumeView(_JobActionView):
    action = staticmethod(job_services.resume)

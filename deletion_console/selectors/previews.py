"""Reads on previews counted in the background: how far one is, and the counts made so far."""

from dataclasses import dataclass, field

from deletion_console.models import PreviewRequest
from deletion_console.services.preview import Preview


@dataclass
class PreviewState:
    request: PreviewRequest
    # The targets counted so far, in the order they are shown; each as `preview()` counted it.
    previews: list[Preview] = field(default_factory=list)

    @property
    def targets(self) -> int:
        return len(self.request.targets)

    @property
    def counted(self) -> int:
        return len(self.previews)

    @property
    def done(self) -> bool:
        return self.request.is_done

    @property
    def status(self) -> str:
        return "failed" if self.request.error else "done" if self.done else "counting"

    @property
    def counted_ids(self) -> set[str]:
        return {p.target_id for p in self.previews}


def get_preview_request(preview_id) -> PreviewRequest:
    return PreviewRequest.objects.get(pk=preview_id)


def kind_of_preview(preview_id) -> str | None:
    return PreviewRequest.objects.filter(pk=preview_id).values_list("kind", flat=True).first()


def user_can_view_preview(user, request: PreviewRequest) -> bool:
    # Its signed counts confirm a deletion (a service's preview_token): only its requester's.
    return bool(user and user.is_authenticated and request.requested_by_id == user.pk)


def preview_state(request: PreviewRequest) -> PreviewState:
    stored = request.results
    previews = [
        Preview.from_stored(request.kind, stored[target["id"]]) for target in request.targets if target["id"] in stored
    ]
    return PreviewState(request=request, previews=previews)

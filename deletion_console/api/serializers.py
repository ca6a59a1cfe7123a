from rest_framework import serializers

from deletion_console.engine.plan import kinds
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import Preview
from deletion_console.web.presenters import grouped, in_plan_order


class DeletionRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    target_id = serializers.CharField(max_length=255)
    # The target's name, typed by the person asking: the same guard as the confirm page.
    confirm_name = serializers.CharField(max_length=255)
    # The `preview_token` of the preview the caller looked at: the job is refused (409, with the
    # new counts) if what would be deleted has changed since.
    preview_token = serializers.CharField(required=False, allow_blank=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read per request: the plan registry lives in settings, which tests may override.
        self.fields["kind"].choices = kinds()


def preview_data(preview: Preview) -> dict:
    return {
        "kind": preview.kind,
        "target_id": preview.target_id,
        "label": preview.label,
        "exists": preview.exists,
        "counts": preview.counts,
        "step_totals": preview.step_totals(),
        "store_totals": _store_totals(preview),
        "steps": [
            {
                "name": group["step"],
                "label": group["label"],
                "total": group["total"],
                "entities": [{k: row[k] for k in ("entity", "store", "expected")} for row in group["rows"]],
            }
            for group in grouped(preview.kind, preview.counts)
        ],
        "total": preview.total,
        "kept": list(preview.kept),
        "left_behind": [
            {"store": gap.store, "container": gap.container, "count": gap.count} for gap in preview.left_behind
        ],
        "preview_token": sign_preview(preview),
    }


def _store_totals(preview: Preview) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in in_plan_order(preview.kind, preview.counts):
        totals[row.store] = totals.get(row.store, 0) + row.n
    return totals

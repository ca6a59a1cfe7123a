from rest_framework import serializers

from deletion_console.engine.plan import kinds
from deletion_console.services.preview import Preview


class DeletionRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[])
    target_id = serializers.CharField(max_length=255)
    # The target's name, typed by the person asking: the same guard as the confirm page.
    confirm_name = serializers.CharField(max_length=255)

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
        "store_totals": preview.store_totals(),
        "total": preview.total,
        "kept": list(preview.kept),
    }

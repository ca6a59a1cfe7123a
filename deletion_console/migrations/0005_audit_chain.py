import django.utils.timezone
from django.db import migrations, models

from deletion_console import audit_chain

BATCH = 1000


def chain_existing_events(apps, schema_editor):
    """Link every job's existing events in the order they were appended (by id)."""
    JobEvent = apps.get_model("deletion_console", "JobEvent")
    job_ids = list(JobEvent.objects.order_by("job_id").values_list("job_id", flat=True).distinct())
    for job_id in job_ids:
        prev_hash, pending = audit_chain.GENESIS, []
        for event in JobEvent.objects.filter(job_id=job_id).order_by("id").iterator(chunk_size=BATCH):
            event.prev_hash = prev_hash
            event.hash = prev_hash = audit_chain.link(prev_hash, audit_chain.event_content(event))
            pending.append(event)
            if len(pending) >= BATCH:
                JobEvent.objects.bulk_update(pending, ["prev_hash", "hash"])
                pending = []
        JobEvent.objects.bulk_update(pending, ["prev_hash", "hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("deletion_console", "0004_per_step_attempts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="jobevent",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="jobevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="jobevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
    ]

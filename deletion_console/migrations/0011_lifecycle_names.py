"""Names that say what they are, with the tables and columns kept (no data moves):
DeletionBatch is the BulkRequest, OutboundEvent the OutboxEvent, DeletionJob.batch its
bulk_request and current_step its current_phase; JobEvent.kind gets its choices."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deletion_console", "0010_deletion_batches"),
    ]

    operations = [
        # The table is named first, so that renaming the model keeps it.
        migrations.AlterModelTable(name="deletionbatch", table="deletion_console_deletionbatch"),
        migrations.RenameModel(old_name="DeletionBatch", new_name="BulkRequest"),
        migrations.AlterModelOptions(
            name="bulkrequest",
            options={"ordering": ["-created_at"], "verbose_name": "bulk deletion request"},
        ),
        migrations.AlterModelTable(name="outboundevent", table="deletion_console_outboundevent"),
        migrations.RenameModel(old_name="OutboundEvent", new_name="OutboxEvent"),
        migrations.AlterField(
            model_name="outboxevent",
            name="job",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT, related_name="outbox_events", to="deletion_console.deletionjob"
            ),
        ),
        # Each column is named first too, so that renaming the field keeps it.
        migrations.AlterField(
            model_name="deletionjob",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_column="batch_id",
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="jobs",
                to="deletion_console.bulkrequest",
            ),
        ),
        migrations.RenameField(model_name="deletionjob", old_name="batch", new_name="bulk_request"),
        migrations.AlterField(
            model_name="deletionjob",
            name="current_step",
            field=models.CharField(blank=True, db_column="current_step", max_length=32),
        ),
        migrations.RenameField(model_name="deletionjob", old_name="current_step", new_name="current_phase"),
        migrations.AlterField(
            model_name="jobevent",
            name="kind",
            field=models.CharField(
                choices=[('requested', 'Requested'), ('awaiting-approval', 'Awaiting approval'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('expired', 'Approval expired'), ('scheduled', 'Scheduled'), ('grace-period-over', 'Grace period over'), ('run-now', 'Run now'), ('queued', 'Queued in its bulk request'), ('dequeued', "Left its bulk request's queue"), ('cancel-requested', 'Cancel requested'), ('resumed', 'Resumed'), ('requeued', 'Requeued'), ('started', 'Step started'), ('progress', 'Progress'), ('batch', 'Batch deleted'), ('retry', 'Retry'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('cancelled', 'Cancelled')],
                max_length=32,
            ),
        ),
    ]

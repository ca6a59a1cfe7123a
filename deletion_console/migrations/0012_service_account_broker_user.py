"""Requests by message prove their sender: a service account's broker user, and the person a
request by message names (who may not approve it)."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("deletion_console", "0011_lifecycle_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="serviceaccount",
            name="broker_user",
            field=models.CharField(
                blank=True,
                help_text="Its RabbitMQ user: requests by message are taken from this user only (README "
                "“Requests by message”). Empty: none.",
                max_length=255,
            ),
        ),
        migrations.AddConstraint(
            model_name="serviceaccount",
            constraint=models.UniqueConstraint(
                condition=~Q(broker_user=""), fields=("broker_user",), name="one_account_per_broker_user"
            ),
        ),
        migrations.AddField(
            model_name="deletionjob",
            name="requested_for",
            field=models.CharField(blank=True, max_length=255),
        ),
    ]

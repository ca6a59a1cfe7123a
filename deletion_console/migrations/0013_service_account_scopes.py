"""Service tokens scoped per kind and action, and who cancelled a job.

Existing accounts keep what their token could do before: one whose user could request deletions
(its own permission, a group's, or a superuser) gets every action on every kind declared now;
any other gets `read` on every kind (its permissions still decide which jobs it sees). Stopped
jobs whose latest cancel was asked by a person (anyone but a service account's user, the command
line included) are marked so, as a new cancel would mark them: only a person may resume them.
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q

# TokenAction's values as they are now: a migration does not follow later changes of the model.
ACTIONS = ["read", "preview", "request", "cancel", "resume"]
REQUEST_DELETION = {"content_type__app_label": "deletion_console", "codename": "request_deletion"}


def scope_existing_accounts(apps, schema_editor):
    ServiceAccount = apps.get_model("deletion_console", "ServiceAccount")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    kinds = list(settings.DELETION_PLANS)
    holds = (
        Q(is_superuser=True)
        | Q(user_permissions__in=_request_permission(apps))
        | Q(groups__permissions__in=_request_permission(apps))
    )
    deleters = set(User.objects.filter(holds).values_list("pk", flat=True))
    for account in ServiceAccount.objects.all():
        actions = ACTIONS if account.user_id in deleters else ["read"]
        account.scopes = {kind: list(actions) for kind in kinds}
        account.save(update_fields=["scopes"])


def _request_permission(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(**REQUEST_DELETION)


def mark_person_cancels(apps, schema_editor):
    DeletionJob = apps.get_model("deletion_console", "DeletionJob")
    JobEvent = apps.get_model("deletion_console", "JobEvent")
    ServiceAccount = apps.get_model("deletion_console", "ServiceAccount")
    by_services = {f"by {name}" for name in ServiceAccount.objects.values_list("user__username", flat=True)}
    stopped = DeletionJob.objects.filter(status__in=["cancelled", "failed"], events__kind="cancel-requested")
    for job_id in stopped.distinct().values_list("pk", flat=True).iterator():
        latest = (
            JobEvent.objects.filter(job_id=job_id, kind__in=["cancel-requested", "resumed"])
            .order_by("-id")
            .values_list("kind", "message")
            .first()
        )
        if latest and latest[0] == "cancel-requested" and latest[1] not in by_services:
            DeletionJob.objects.filter(pk=job_id).update(cancelled_by_person=True)


class Migration(migrations.Migration):
    dependencies = [
        ("deletion_console", "0012_service_account_broker_user"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="deletionjob",
            name="cancelled_by_person",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="serviceaccount",
            name="scopes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(scope_existing_accounts, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(mark_person_cancels, migrations.RunPython.noop, elidable=True),
    ]

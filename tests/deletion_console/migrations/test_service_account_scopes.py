"""The migration that scoped service tokens keeps what existing tokens could do, and marks the
stopped jobs a person cancelled."""

import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from deletion_console.models import DeletionJob, ServiceAccount

pytestmark = pytest.mark.django_db(transaction=True)

EVERY_ACTION = ["read", "preview", "request", "cancel", "resume"]


def scopes_migration(executor) -> tuple[tuple[str, str], tuple[str, str]]:
    (key,) = [k for k in executor.loader.disk_migrations if k == ("deletion_console", "0013_service_account_scopes")]
    (before,) = [d for d in executor.loader.disk_migrations[key].dependencies if d[0] == "deletion_console"]
    return key, before


def test_existing_tokens_keep_what_they_could_do_and_person_cancels_are_marked():
    executor = MigrationExecutor(connection)
    _, before = scopes_migration(executor)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    try:
        old = MigrationExecutor(connection).loader.project_state([before]).apps
        User = old.get_model(*settings.AUTH_USER_MODEL.split("."))
        Permission, Group = old.get_model("auth", "Permission"), old.get_model("auth", "Group")
        Account = old.get_model("deletion_console", "ServiceAccount")
        Job, Event = old.get_model("deletion_console", "DeletionJob"), old.get_model("deletion_console", "JobEvent")
        deleting = Permission.objects.get(content_type__app_label="deletion_console", codename="request_deletion")
        users = {name: User.objects.create(username=f"service-{name}") for name in ("orders", "grouped", "reports")}
        users["orders"].user_permissions.add(deleting)
        group = Group.objects.create(name="deleters")
        group.permissions.add(deleting)
        users["grouped"].groups.add(group)
        for name, user in users.items():
            Account.objects.create(name=name, user=user, token_prefix=name, token_hash=name)

        def stopped(status, *messages):
            job = Job.objects.create(id=uuid.uuid4(), kind="campaign", target_id=str(uuid.uuid4()), status=status)
            for kind, message in messages:
                Event.objects.create(job=job, kind=kind, message=message)
            return job.pk

        by_person = stopped("cancelled", ("requested", "by service-orders"), ("cancel-requested", "by dana"))
        by_terminal = stopped("failed", ("cancel-requested", "by the command line"))
        by_service = stopped("cancelled", ("cancel-requested", "by service-orders"))
        resumed_since = stopped("failed", ("cancel-requested", "by dana"), ("resumed", "by dana"))
    finally:
        MigrationExecutor(connection).migrate(latest)

    scopes = dict(ServiceAccount.objects.values_list("name", "scopes"))
    every_kind = list(settings.DELETION_PLANS)
    assert scopes["orders"] == scopes["grouped"] == dict.fromkeys(every_kind, EVERY_ACTION)
    assert scopes["reports"] == dict.fromkeys(every_kind, ["read"])
    marked = dict(DeletionJob.objects.values_list("pk", "cancelled_by_person"))
    assert [marked[pk] for pk in (by_person, by_terminal, by_service, resumed_since)] == [True, True, False, False]

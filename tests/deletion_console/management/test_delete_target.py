"""delete_target: the command line for every kind, through the same services as the pages."""

import pytest
from django.core.management import CommandError, call_command

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import jobs
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import request_deletion
from tests.fixtures import dumps

pytestmark = pytest.mark.usefixtures("clean_stores")


@pytest.mark.django_db
def test_dry_run_of_a_tenant_prints_every_service_and_changes_nothing(rng, capsys):
    create_tenant(TenantSpec(id="t-10", name="Dry Deli", rows=4), rng)
    before = dumps.all_stores()

    call_command("delete_target", "tenant", "t-10", "--dry-run")

    out = capsys.readouterr().out
    assert "Tenant 'Dry Deli' [t-10]" in out
    for service, entity in [("Orders", "order_items"), ("POS", "pos_transactions"), ("External data", "api_key_usage")]:
        assert any(line.strip().startswith(service) and entity in line for line in out.splitlines()), service
    assert "Kept: Supplier nodes" in out and "Dry run: nothing was deleted." in out
    assert dumps.all_stores() == before and not DeletionJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["campaign", "tenant"])
def test_an_unknown_target_is_refused_the_same_way_as_by_the_pages_and_the_api(kind):
    with pytest.raises(CommandError, match=f"No {kind} with id 'nope' was found. Nothing was deleted."):
        call_command("delete_target", kind, "nope", "--yes")


@pytest.mark.django_db
def test_an_unknown_kind_names_the_known_ones():
    with pytest.raises(CommandError, match="known kinds: campaign, tenant"):
        call_command("delete_target", "planet", "x")


@pytest.mark.django_db
def test_a_mistyped_tenant_name_deletes_nothing(rng, monkeypatch):
    create_tenant(TenantSpec(id="t-1", name="Careful Café"), rng)
    monkeypatch.setattr("builtins.input", lambda prompt: "Careful Cafe")

    with pytest.raises(CommandError, match="does not match"):
        call_command("delete_target", "tenant", "t-1")

    assert not DeletionJob.objects.exists()


@pytest.mark.worker
@pytest.mark.usefixtures("celery_worker", "transactional_db")
@pytest.mark.parametrize("kind", ["campaign", "tenant"])
def test_yes_and_wait_delete_either_kind_and_report_success(kind, rng, capsys):
    if kind == "tenant":
        target_id = create_tenant(TenantSpec(id="t-2", name="Scripted Deli"), rng).id
    else:
        target_id = create_campaign(CampaignSpec(name="Scripted"), rng).id

    call_command("delete_target", kind, target_id, "--yes", "--wait")

    out = capsys.readouterr().out
    assert "100.0%" in out and "verified zero residue" in out
    assert DeletionJob.objects.get(kind=kind, target_id=target_id).status == JobStatus.SUCCEEDED


@pytest.mark.django_db
def test_cancel_and_resume_by_job_id(rng, capsys):
    create_tenant(TenantSpec(id="t-3", name="Paused"), rng)
    job = request_deletion("tenant", "t-3")  # not committed: no worker runs it

    call_command("delete_target", "--cancel", str(job.pk))
    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.CANCELLED
    call_command("delete_target", "--resume", str(job.pk))

    assert DeletionJob.objects.get(pk=job.pk).status == JobStatus.PENDING
    assert "Resumed job" in capsys.readouterr().out
    with pytest.raises(CommandError, match="only a failed or cancelled job can be resumed"):
        call_command("delete_target", "--resume", str(job.pk))
    assert jobs.active_job_for("tenant", "t-3").pk == job.pk

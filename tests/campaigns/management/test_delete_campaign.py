import pytest
from django.core.management import CommandError, call_command

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobStatus
from tests.fixtures import dumps

pytestmark = pytest.mark.usefixtures("clean_stores")


@pytest.mark.django_db
def test_dry_run_prints_the_preview_table_and_changes_nothing(rng, capsys):
    target = create_campaign(CampaignSpec(name="Dry", events=42), rng)
    before = dumps.all_stores()

    call_command("delete_campaign", target.id, "--dry-run")

    out = capsys.readouterr().out
    assert "Campaign 'Dry'" in out
    assert "campaign_events" in out and "42" in out
    assert "Dry run: nothing was deleted." in out
    assert dumps.all_stores() == before
    assert not DeletionJob.objects.exists()


@pytest.mark.django_db
def test_an_unknown_campaign_is_refused_with_a_clear_message(capsys):
    with pytest.raises(CommandError, match="No campaign with id 'nope' was found"):
        call_command("delete_campaign", "nope", "--yes")


@pytest.mark.django_db
def test_a_mistyped_name_deletes_nothing(rng, monkeypatch):
    target = create_campaign(CampaignSpec(name="Careful"), rng)
    monkeypatch.setattr("builtins.input", lambda prompt: "Carefull")

    with pytest.raises(CommandError, match="does not match"):
        call_command("delete_campaign", target.id)

    assert not DeletionJob.objects.exists()


@pytest.mark.worker
@pytest.mark.usefixtures("celery_worker", "transactional_db")
def test_yes_and_wait_delete_the_campaign_and_report_success(rng, capsys):
    target = create_campaign(CampaignSpec(name="Scripted"), rng)

    call_command("delete_campaign", target.id, "--yes", "--wait")

    out = capsys.readouterr().out
    assert "100.0%" in out and "verified zero residue" in out
    assert DeletionJob.objects.get(target_id=target.id).status == JobStatus.SUCCEEDED

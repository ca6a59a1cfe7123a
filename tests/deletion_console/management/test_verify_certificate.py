"""A certificate downloaded after a real deletion verifies offline; edited by one character, it fails."""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import JobStatus
from tests.factories import deleter, request_deletion
from tests.fixtures.certificates import TEST_SEED
from tests.fixtures.worker import ROOT, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")]


@pytest.fixture
def downloaded(client, rng, tmp_path, certificate_key):
    """The JSON certificate of a campaign deleted through the real worker, as a file."""
    dana = deleter(username="dana")
    target = create_campaign(CampaignSpec(name="Certified", players=("p-1", "p-2"), events=40), rng)
    job = wait_for_job(request_deletion("campaign", target.id, user=dana).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error
    client.force_login(dana)
    response = client.get(reverse("jobs:certificate-json", args=[job.pk]))
    assert response.status_code == 200
    path = tmp_path / "certificate.json"
    path.write_bytes(response.content)
    return job, target, path


def manage(*args, **env) -> subprocess.CompletedProcess:
    # A database nobody listens on: verification must not need one.
    env = {**os.environ, "DATABASE_URL": "postgres://nobody:none@127.0.0.1:9/none", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_downloaded_certificate_verifies_and_states_the_deletion(downloaded, public_key_file, capsys):
    job, target, path = downloaded

    call_command("verify_certificate", str(path))

    out = capsys.readouterr().out
    assert f"Valid: deletion of campaign 'Certified' ({target.id}), job {job.pk}" in out
    body = path.read_text()
    assert '"deleted": 40' in body and '"entity": "campaign_events"' in body
    result = manage("verify_certificate", str(path), "--public-key", str(public_key_file))
    assert result.returncode == 0, result.stderr


def test_the_same_file_edited_by_one_character_fails(downloaded, public_key_file):
    _, _, path = downloaded
    text = path.read_text()
    path.write_text(text.replace('"deleted": 40', '"deleted": 41', 1))

    with pytest.raises(CommandError, match="INVALID: .*signature does not match"):
        call_command("verify_certificate", str(path))
    result = manage("verify_certificate", str(path), "--public-key", str(public_key_file))
    assert result.returncode != 0
    assert "signature does not match the content" in result.stderr


def test_the_default_public_key_comes_from_the_settings(downloaded):
    _, _, path = downloaded

    assert manage("verify_certificate", str(path), DELETION_CERTIFICATE_KEY=TEST_SEED).returncode == 0
    other = manage("verify_certificate", str(path), DELETION_CERTIFICATE_KEY="", DJANGO_DEBUG="true")
    assert other.returncode != 0 and "signed by another key" in other.stderr

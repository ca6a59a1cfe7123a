import os
import subprocess
import sys

import pytest
from django.conf import settings

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import jobs
from tests.factories import request_deletion
from tests.fixtures.worker import ROOT, console_database_url

REQUEST = "from tests.factories import request_deletion; print(request_deletion('campaign', '{id}').pk)"


@pytest.mark.usefixtures("clean_stores", "transactional_db")
def test_a_job_whose_chain_cannot_be_queued_fails_with_a_reason_and_can_be_resumed(rng):
    target = create_campaign(CampaignSpec(name="Unqueued"), rng)
    # Another process, whose broker is a port nothing listens on: the request commits, the
    # chain cannot be sent.
    nowhere = "redis://127.0.0.1:9/0" if settings.CELERY_BROKER_URL.startswith("redis") else "amqp://127.0.0.1:9//"
    env = {**os.environ, "DATABASE_URL": console_database_url(), "CELERY_BROKER_URL": nowhere}
    command = [sys.executable, "manage.py", "shell", "-c", REQUEST.format(id=target.id)]
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr

    job = DeletionJob.objects.get(pk=out.stdout.strip().splitlines()[-1])
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("validate step failed: could not queue the job")
    assert job.warnings[-1] == (
        "Nothing has been deleted yet; the job can be resumed or requested again. "
        f"Resume it once the broker ({'Redis' if nowhere.startswith('redis') else 'RabbitMQ'}) is reachable."
    )
    assert jobs.active_job_for("campaign", target.id) is None


@pytest.mark.django_db
def test_unknown_kind_is_refused_with_the_known_kinds():
    with pytest.raises(LookupError, match="known kinds: campaign, tenant"):
        request_deletion("planet", "x")

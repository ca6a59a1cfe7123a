"""What the watchdog learns from the workers themselves, over the real broker."""

import os

import pytest

from deletion_console import dispatch
from tests.factories import DeletionJobFactory


@pytest.mark.worker
@pytest.mark.broker
def test_a_running_worker_answers_with_its_process_and_a_gone_one_not_at_all(celery_worker):
    node = f"suite@{os.uname().nodename}"

    answered = dispatch.answering_workers({f"{node}#an-earlier-process", f"gone@{os.uname().nodename}#x"})

    [worker] = answered
    assert worker.startswith(f"{node}#") and worker != f"{node}#an-earlier-process"


@pytest.mark.django_db
def test_a_small_job_is_served_first_and_a_large_one_last(settings):
    settings.DELETION_QUICK_JOB_ROWS = 100
    small = DeletionJobFactory(preview={"mongodb": {"campaign_events": 100}})
    large = DeletionJobFactory(preview={"mongodb": {"campaign_events": 101}})

    assert dispatch.priority(small) == settings.DELETION_PRIORITY_FIRST
    assert dispatch.priority(large) == settings.DELETION_PRIORITY_LARGE

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
def test_a_small_job_goes_to_the_quick_lane_and_a_large_one_to_the_default(settings):
    settings.DELETION_QUICK_JOB_ROWS = 100
    small = DeletionJobFactory(preview={"mongodb": {"campaign_events": 100}})
    large = DeletionJobFactory(preview={"mongodb": {"campaign_events": 101}})

    assert dispatch.lane(small) == settings.DELETION_QUICK_QUEUE
    assert dispatch.lane(large) == settings.CELERY_TASK_DEFAULT_QUEUE

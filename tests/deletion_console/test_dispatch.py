"""What the watchdog learns from the workers themselves, over the real broker."""

import os

import pytest

from deletion_console import dispatch

pytestmark = [pytest.mark.worker, pytest.mark.broker]


def test_a_running_worker_answers_with_its_process_and_a_gone_one_not_at_all(celery_worker):
    node = f"suite@{os.uname().nodename}"

    answered = dispatch.answering_workers({f"{node}#an-earlier-process", f"gone@{os.uname().nodename}#x"})

    [worker] = answered
    assert worker.startswith(f"{node}#") and worker != f"{node}#an-earlier-process"

"""Who approved a deletion, as its certificate states it."""

import pytest

from deletion_console.models import JobEvent
from deletion_console.selectors.certificates import certificate_body
from tests.factories import approver, succeeded_job

pytestmark = pytest.mark.django_db


def test_the_certificate_names_the_approver_and_the_moment_of_the_approval_event():
    sam = approver(username="sam")
    job = succeeded_job(approval_required=True, approved_by=sam)
    event = JobEvent.objects.create(job=job, kind="approved", message="by sam")

    assert certificate_body(job)["approved"] == {"by": "sam", "at": event.created_at.isoformat()}


def test_a_deletion_that_needed_no_approval_states_none():
    assert certificate_body(succeeded_job())["approved"] == {"by": None, "at": None}

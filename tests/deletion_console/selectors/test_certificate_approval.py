"""Who approved a deletion, as its certificate states it."""

import pytest
from django.utils import timezone

from deletion_console import audit_facts
from deletion_console.models import JobEvent
from deletion_console.selectors.certificates import certificate_body
from tests.factories import approver, succeeded_job, with_trail

pytestmark = pytest.mark.django_db


def test_the_certificate_names_the_approver_and_the_moment_of_the_approval_event():
    sam = approver(username="sam")
    job = with_trail(succeeded_job(approval_required=True, approved_by=sam, approved_at=timezone.now()))
    event = JobEvent.objects.get(job=job, kind="approved")

    assert certificate_body(job)["approved"] == {"by": "sam", "at": audit_facts.iso(event.created_at)}


def test_a_deletion_that_needed_no_approval_states_none():
    assert certificate_body(with_trail(succeeded_job()))["approved"] == {"by": None, "at": None}

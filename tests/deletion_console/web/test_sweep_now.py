"""“Sweep now” runs one sweep at a time: pressed again while one is unfinished, it says so."""

import pytest
from django.urls import reverse

from deletion_console.models import OrphanSweep
from deletion_console.services import orphans
from deletion_console.services.errors import SweepRunning
from tests.factories import deleter

pytestmark = pytest.mark.django_db


def test_sweep_now_while_a_sweep_is_unfinished_starts_no_other_and_says_why(client):
    dana = deleter(username="dana")
    client.force_login(dana)
    running = OrphanSweep.objects.create(trigger=OrphanSweep.Trigger.PERSON, requested_by=dana)

    response = client.post(reverse("orphans:sweep"), follow=True)

    assert OrphanSweep.objects.count() == 1
    assert "is still running: one sweep at a time" in response.content.decode()
    with pytest.raises(SweepRunning) as refused:
        orphans.start_sweep(user=dana)
    assert refused.value.sweep == running and refused.value.http_status == 409


def test_once_it_has_finished_another_may_start(client):
    dana = deleter(username="dana")
    OrphanSweep.objects.create(trigger=OrphanSweep.Trigger.SCHEDULE, finished_at="2026-01-01T00:00:00Z")

    sweep = orphans.start_sweep(user=dana)

    assert OrphanSweep.objects.count() == 2 and sweep.finished_at is None

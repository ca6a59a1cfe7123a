"""The admin's job page says whether the job's audit trail is intact."""

import pytest
from django.urls import reverse

from tests.deletion_console.selectors.test_audit import raw_sql, trail
from tests.factories import UserFactory, failed_job, succeeded_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def job_page(client, job_id) -> str:
    response = client.get(reverse("admin:deletion_console_deletionjob_change", args=[job_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_job_page_shows_an_untouched_chain_as_intact(client, superuser):
    events = trail()

    html = job_page(client, events[0].job_id)

    assert '<strong class="chain-intact">Intact</strong>' in html
    assert f"5 events, head {events[-1].hash}" in html


def test_the_job_page_shows_a_tampered_chain_as_broken_and_where(client, superuser):
    events = trail()
    raw_sql("UPDATE deletion_console_jobevent SET message = 'nothing to see' WHERE id = %s", events[1].pk)

    html = job_page(client, events[0].job_id)

    assert '<strong class="chain-broken">Broken</strong>' in html
    assert f"at event 2 of 5 (id {events[1].pk})" in html
    assert 'name="_save"' not in html  # still read-only


def test_a_succeeded_job_links_to_its_certificate_and_others_say_when_they_get_one(client, superuser):
    done, broken = succeeded_job(), failed_job()

    assert reverse("jobs:certificate-json", args=[done.pk]) in job_page(client, done.pk)
    assert "issued once the deletion has succeeded" in job_page(client, broken.pk)

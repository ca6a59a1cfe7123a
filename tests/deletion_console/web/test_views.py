from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deletion_console.models import JobEvent, JobStatus
from tests.factories import DeletionJobFactory, deleter, failed_job, running_job, succeeded_job, viewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(client):
    user = deleter(username="dana")
    client.force_login(user)
    return user


def _status_url(job):
    return reverse("jobs:progress", args=[job.pk])


# -- progress page ------------------------------------------------------------------------------


def test_a_page_opened_after_the_job_ended_shows_the_final_state(client, dana):
    job = succeeded_job(target_label="Tomb of Ash", requested_by=dana)

    response = client.get(_status_url(job))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="job-status" class="badge badge--large badge--succeeded"' in html
    assert ">Succeeded<" in html
    assert '<span id="progress-percent">100</span>' in html
    assert 'id="outcome-succeeded" class="notice notice--success" >' in html  # not hidden
    assert html.count('class="step step--done"') == 7
    assert "12,500" in html  # per-entity counter, thousands separator
    assert 'id="cancel-form" method="post" action="{}" hidden>'.format(reverse("jobs:cancel", args=[job.pk])) in html
    assert 'id="resume-form" method="post" action="{}" hidden>'.format(reverse("jobs:resume", args=[job.pk])) in html
    assert '"status": "succeeded"' in html  # the snapshot the script starts from


def test_counters_follow_the_plan_order_not_the_databases_key_order(client, dana):
    job = running_job()

    html = client.get(_status_url(job)).content.decode()

    rows = [
        html.index(f'data-step="{store}" data-entity="{entity}"')
        for store, entity in [
            ("mongodb", "campaign_events"),
            ("mongodb", "items"),
            ("mongodb", "campaigns"),
            ("neo4j", "PLAYS_IN"),
            ("neo4j", "Item"),
            ("neo4j", "Campaign"),
            ("postgres", "session_attendance"),
            ("postgres", "player_campaigns"),
        ]
    ]
    assert rows == sorted(rows)


def test_a_failed_job_shows_its_reason_warning_and_a_resume_button(client, dana):
    job = failed_job(step="neo4j", reason="ServiceUnavailable: connection refused")

    html = client.get(_status_url(job)).content.decode()

    assert "neo4j step failed: ServiceUnavailable: connection refused" in html
    assert "Neo4j data of this campaign remains" in html
    assert 'id="resume-form" method="post" action="{}" >'.format(reverse("jobs:resume", args=[job.pk])) in html
    assert 'id="cancel-form" method="post" action="{}" hidden>'.format(reverse("jobs:cancel", args=[job.pk])) in html


def test_a_running_job_shows_a_cancel_button_and_no_outcome(client, dana):
    job = running_job(step="mongodb")

    html = client.get(_status_url(job)).content.decode()

    assert 'id="cancel-form" method="post" action="{}" >'.format(reverse("jobs:cancel", args=[job.pk])) in html
    assert 'id="outcome-succeeded" class="notice notice--success" hidden>' in html
    assert 'class="step step--running" data-step="mongodb"' in html


def test_progress_page_needs_sign_in(client):
    job = succeeded_job()

    response = client.get(_status_url(job))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_user_without_the_permission_sees_only_jobs_they_requested(client):
    vic = viewer(username="vic")
    client.force_login(vic)

    assert client.get(_status_url(succeeded_job())).status_code == 403
    own = succeeded_job(requested_by=vic)
    html = client.get(_status_url(own)).content.decode()
    assert 'id="cancel-form"' not in html and 'id="resume-form"' not in html


def test_unknown_job_is_404(client, dana):
    assert client.get(reverse("jobs:progress", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404


def test_the_generic_job_page_serves_other_kinds(client, dana):
    job = succeeded_job(kind="tenant", target_id="tenant-1", target_label="Acme")

    assert client.get(reverse("jobs:progress", args=[job.pk])).status_code == 200


# -- jobs page ----------------------------------------------------------------------------------


def test_jobs_page_lists_every_job_newest_first_linking_to_progress(client, dana):
    old = succeeded_job(target_label="Older")
    DeletionJobFactory._meta.model.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    new = failed_job(target_label="Newer")
    tenant = running_job(kind="tenant", target_label="Tenant job")

    html = client.get(reverse("jobs:list")).content.decode()

    assert html.index("Tenant job") < html.index("Newer") < html.index("Older")
    assert _status_url(new) in html and _status_url(old) in html
    assert reverse("jobs:progress", args=[tenant.pk]) in html


def test_jobs_page_filters_by_status_and_by_attention(client, dana):
    failed_job(target_label="Broken")
    succeeded_job(target_label="Fine")
    stale = running_job(target_label="Silent")
    DeletionJobFactory._meta.model.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    running_job(target_label="Busy")

    def names(**params):
        html = client.get(reverse("jobs:list"), params).content.decode()
        return {n for n in ("Broken", "Fine", "Silent", "Busy") if f">{n}<" in html}

    assert names() == {"Broken", "Fine", "Silent", "Busy"}
    assert names(status="failed") == {"Broken"}
    assert names(status="succeeded") == {"Fine"}
    assert names(status="attention") == {"Broken", "Silent"}
    assert names(status="bogus") == {"Broken", "Fine", "Silent", "Busy"}


def test_jobs_page_shows_a_user_without_the_permission_only_their_own(client):
    vic = viewer(username="vic")
    client.force_login(vic)
    succeeded_job(target_label="Theirs")
    succeeded_job(target_label="Mine", requested_by=vic)

    html = client.get(reverse("jobs:list")).content.decode()

    assert ">Mine<" in html and ">Theirs<" not in html


# -- cancel and resume --------------------------------------------------------------------------


def test_cancel_asks_the_job_to_stop_through_the_service(client, dana):
    job = running_job()

    response = client.post(reverse("jobs:cancel", args=[job.pk]))

    assert response.status_code == 302 and response.url == _status_url(job)
    job.refresh_from_db()
    assert job.cancel_requested
    assert JobEvent.objects.filter(job=job, kind="cancel-requested", message="by dana").exists()


def test_cancel_of_an_ended_job_says_why_not(client, dana):
    job = succeeded_job()

    response = client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)

    assert "only a pending or running job can be cancelled" in response.content.decode()


def test_resume_restarts_a_failed_job_through_the_service(client, dana):
    job = failed_job()

    response = client.post(reverse("jobs:resume", args=[job.pk]))

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.run == 2 and job.error == ""
    assert JobEvent.objects.filter(job=job, kind="resumed").exists()


@pytest.mark.parametrize("action", ["jobs:cancel", "jobs:resume"])
def test_cancel_and_resume_need_the_permission(client, action):
    vic = viewer(username="vic")
    client.force_login(vic)
    job = failed_job(requested_by=vic) if action == "jobs:resume" else running_job(requested_by=vic)

    assert client.post(reverse(action, args=[job.pk])).status_code == 403
    assert client.get(reverse(action, args=[job.pk])).status_code == 405
    job.refresh_from_db()
    assert not job.cancel_requested and job.run == 1


def test_the_seeds_progress_route_leads_to_the_jobs_page(client, dana):
    job = running_job()

    response = client.get(f"/campaigns/deletion/{job.pk}/status/", follow=True)

    assert response.redirect_chain == [(reverse("jobs:progress", args=[job.pk]), 301)]
    assert response.status_code == 200 and job.target_label in response.content.decode()

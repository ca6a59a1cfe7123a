from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from deletion_console.models import BulkRequest, DeletionJob, JobEvent, JobStatus, OrphanSweep
from tests.factories import UserFactory, failed_job, running_job, succeeded_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _changelist(**params):
    return reverse("admin:deletion_console_deletionjob_changelist"), params


def test_the_job_list_shows_jobs_with_readable_counts_and_last_errors(client, superuser):
    failed_job(target_label="Broken", reason="ServiceUnavailable: refused")
    fine = succeeded_job(target_label="Fine")

    response = client.get(*_changelist())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Broken" in html and "Fine" in html
    assert f"{fine.total_expected:,} of {fine.total_expected:,}" in html  # thousands separators
    assert "neo4j step failed: ServiceUnavailable: refused" in html


def test_filters_and_search(client, superuser):
    failed_job(target_label="Broken", target_id="campaign-broken")
    succeeded_job(target_label="Fine", target_id="campaign-fine")
    stale = running_job(target_label="Silent")
    DeletionJob.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    running_job(target_label="Busy", kind="tenant")

    def shown(**params):
        html = client.get(*_changelist(**params)).content.decode()
        return {n for n in ("Broken", "Fine", "Silent", "Busy") if f">{n}<" in html}

    assert shown(status__exact="failed") == {"Broken"}
    assert shown(kind__exact="tenant") == {"Busy"}
    assert shown(attention="yes") == {"Broken", "Silent"}
    assert shown(q="campaign-fine") == {"Fine"}
    assert shown(q="Brok") == {"Broken"}
    assert shown(requested_by__id__exact=str(superuser.pk)) == set()
    html = client.get(*_changelist(attention="yes")).content.decode()
    assert "No heartbeat since" in html


def test_the_job_page_is_read_only_with_its_events_inline_in_order(client, superuser):
    job = failed_job(target_label="Broken")
    JobEvent.objects.create(job=job, step="neo4j", kind="resumed", message="second")
    url = reverse("admin:deletion_console_deletionjob_change", args=[job.pk])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="_save"' not in html and "deletelink" not in html
    assert html.index("<p>ServiceUnavailable: connection refused</p>") < html.index("<p>second</p>")
    assert "12,500" in html  # counts table, readable
    assert 'name="events-TOTAL_FORMS"' not in html or 'name="events-0-message"' not in html


def test_no_add_change_or_delete_for_anyone_superusers_included(client, superuser):
    job = succeeded_job()
    model_admin = site._registry[DeletionJob]
    request = RequestFactory().get("/")
    request.user = superuser

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, job)
    assert not model_admin.has_delete_permission(request, job)
    assert "delete_selected" not in model_admin.get_actions(request)
    for inline in model_admin.get_inline_instances(request, job):
        assert not inline.has_add_permission(request, job)
        assert not inline.has_change_permission(request, job)
        assert not inline.has_delete_permission(request, job)
    assert JobEvent not in site._registry

    assert client.get(reverse("admin:deletion_console_deletionjob_add")).status_code == 403
    assert client.get(reverse("admin:deletion_console_deletionjob_delete", args=[job.pk])).status_code == 403
    assert (
        client.post(reverse("admin:deletion_console_deletionjob_delete", args=[job.pk]), {"post": "yes"}).status_code
        == 403
    )
    client.post(
        reverse("admin:deletion_console_deletionjob_change", args=[job.pk]),
        {"status": "failed", "target_label": "changed"},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.target_label != "changed"


def test_the_resume_action_resumes_failed_jobs_through_the_service(client, superuser):
    broken, fine = failed_job(target_label="Broken"), succeeded_job(target_label="Fine")

    response = client.post(
        reverse("admin:deletion_console_deletionjob_changelist"),
        {"action": "resume_selected", "_selected_action": [str(broken.pk), str(fine.pk)]},
        follow=True,
    )

    broken.refresh_from_db()
    fine.refresh_from_db()
    assert broken.status == JobStatus.PENDING and broken.run == 2
    assert fine.status == JobStatus.SUCCEEDED
    html = response.content.decode()
    assert "Resumed 1 job." in html and "only a failed or cancelled job can be resumed" in html
    assert JobEvent.objects.filter(job=broken, kind="resumed", message__startswith="by root").exists()


def test_the_resume_action_resumes_a_cancelled_job_as_the_service_and_the_pages_do(client, superuser):
    stopped = failed_job(target_label="Stopped")
    DeletionJob.objects.filter(pk=stopped.pk).update(status=JobStatus.CANCELLED)

    client.post(
        reverse("admin:deletion_console_deletionjob_changelist"),
        {"action": "resume_selected", "_selected_action": [str(stopped.pk)]},
    )

    stopped.refresh_from_db()
    assert stopped.status == JobStatus.PENDING and stopped.run == 2


def test_staff_without_the_deletion_permission_get_no_resume_action(client):
    from django.contrib.auth.models import Permission

    staff = UserFactory(username="auditor", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_deletionjob"))
    client.force_login(staff)

    html = client.get(*_changelist()).content.decode()

    assert "resume_selected" not in html


def test_a_bulk_request_lists_its_jobs_read_only_with_a_link_to_its_page(client, superuser):
    batch = BulkRequest.objects.create(kind="campaign", requested_by=superuser, max_running=2)
    job = succeeded_job(target_label="In the batch")
    DeletionJob.objects.filter(pk=job.pk).update(bulk_request=batch)

    html = client.get(reverse("admin:deletion_console_bulkrequest_change", args=[batch.pk])).content.decode()

    assert "In the batch" in html and reverse("jobs:batch", args=[batch.pk]) in html
    assert 'name="_save"' not in html
    assert client.get(reverse("admin:deletion_console_bulkrequest_add")).status_code == 403


def test_orphan_sweeps_are_listed_read_only(client, superuser):
    OrphanSweep.objects.create(trigger=OrphanSweep.Trigger.PERSON, requested_by=superuser, findings={})

    assert client.get(reverse("admin:deletion_console_orphansweep_changelist")).status_code == 200
    assert client.get(reverse("admin:deletion_console_orphansweep_add")).status_code == 403

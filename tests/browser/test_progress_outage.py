"""The progress page of a real job, on a real socket, while Redis (the Channels layer) goes away
and comes back: the page ends showing the job's true end without a reload."""

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.devtools.drills import stack
from deletion_console.models import DeletionJob, JobStatus
from tests.browser.support import chromium, outside_the_browser_loop
from tests.factories import deleter, request_deletion

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.usefixtures("clean_stores")]


def test_the_page_shows_the_true_end_after_the_channels_layer_was_down_mid_job(console, celery_worker, rng):
    if settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("Redis is Celery's broker here too: stopping it is the broker's drill, not the page's")
    target = create_campaign(CampaignSpec(name="Followed", children=30, events=8_000), rng)
    client = Client()
    client.force_login(deleter(username="dana"))
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    job = request_deletion("campaign", target.id)

    with chromium() as browser:
        context = browser.new_context()
        context.add_cookies([{**cookie, "url": console}])
        page = context.new_page()
        page.goto(console + reverse("jobs:progress", args=[job.pk]))
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#connection")).to_contain_text("Live", timeout=10_000)
        stack("down", "redis")
        page.wait_for_timeout(3_000)
        stack("up")
        done = outside_the_browser_loop(_finished, job.pk)

        expect(page.locator("#job-status")).to_have_text("Succeeded", timeout=20_000)
        expect(page.locator("#progress-percent")).to_have_text("100")
        assert page.evaluate("window.__sameDocument") is True
        shown = page.locator("#total-deleted").inner_text().replace(",", "")
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert int(shown) == done.total_deleted


def _finished(job_id) -> DeletionJob:
    deadline = time.monotonic() + 120
    while (job := DeletionJob.objects.get(pk=job_id)).status not in (JobStatus.SUCCEEDED, JobStatus.FAILED):
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job.status}")
        time.sleep(0.2)
    return job

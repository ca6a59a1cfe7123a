"""The dashboard in Chromium: its four charts drawn, with a screenshot kept as a test artifact."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from deletion_console.models import DeletionJob, JobEvent, JobStatus
from tests.browser.support import ARTIFACTS, chromium
from tests.factories import DeletionJobFactory, failed_job, succeeded_job, viewer

pytestmark = pytest.mark.browser
CHARTS = ("jobs-per-day", "step-durations", "deleted-per-store", "failures-by-reason")


def two_weeks_of_jobs():
    """A fortnight of deletions: mostly successes with their step timings, some failures."""
    for day in range(14):
        made = [succeeded_job() for _ in range(1 + day % 4)]
        if day % 3 == 0:
            made.append(failed_job(step="neo4j", reason="ServiceUnavailable: connection refused"))
        if day % 5 == 0:
            made.append(failed_job(step="verify", reason="residue remains after deletion (MongoDB items: 2)"))
        if day == 0:
            made.append(DeletionJobFactory(status=JobStatus.RUNNING))
        for n, job in enumerate(made):
            for step, base in (("mongodb", 1.2), ("neo4j", 0.6), ("postgres", 0.3), ("verify", 0.2)):
                JobEvent.objects.create(job=job, step=step, kind="succeeded", seconds=base * (1 + (day + n) % 5))
        ids = [job.pk for job in made]
        DeletionJob.objects.filter(pk__in=ids).update(created_at=timezone.now() - timedelta(days=day))


def test_the_dashboard_draws_its_charts(console):
    two_weeks_of_jobs()
    client = Client()
    client.force_login(viewer(username="olga"))
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.add_cookies([{**cookie, "url": console}])
        page = context.new_page()
        page.goto(f"{console}/dashboard/")

        expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
        for chart in CHARTS:
            svg = page.locator(f"#{chart} svg")
            expect(svg).to_be_visible()
            assert svg.locator("rect.bar").count() > 0, chart
            box = svg.bounding_box()
            assert box["width"] > 300 and box["height"] > 20, (chart, box)
        expect(page.locator("#failures-by-reason")).to_contain_text("neo4j: ServiceUnavailable")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

"""The dashboard page, rendered by Django: signed-in users only, one chart per question."""

import pytest
from django.urls import reverse

from deletion_console.models import JobEvent
from tests.factories import failed_job, succeeded_job, viewer

pytestmark = pytest.mark.django_db
CHARTS = ("jobs-per-day", "step-durations", "deleted-per-store", "failures-by-reason")


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_each_chart_is_drawn_as_inline_svg_from_the_job_table(client):
    job = succeeded_job()
    JobEvent.objects.create(job=job, step="mongodb", kind="succeeded", seconds=1.5)
    failed_job(step="neo4j", reason="ServiceUnavailable: connection refused")
    client.force_login(viewer())

    html = client.get(reverse("dashboard")).content.decode()

    for chart in CHARTS:
        section = html.split(f'id="{chart}"', 1)[1].split("</section>", 1)[0]
        assert "<svg" in section and 'class="bar"' in section, chart
    assert "neo4j: ServiceUnavailable" in html
    assert "<script" not in html.split('<main class="page">', 1)[1]


def test_with_no_jobs_each_chart_says_so(client):
    client.force_login(viewer())

    html = client.get(reverse("dashboard"), {"days": "7"}).content.decode()

    assert html.count("Nothing in the last 7 days.") == len(CHARTS)


def test_the_nav_links_to_the_dashboard(client):
    client.force_login(viewer())

    html = client.get(reverse("jobs:list")).content.decode()

    assert f'href="{reverse("dashboard")}"' in html

"""The progress page's own behaviour in Chromium, with its WebSocket replaced by the test:
polling and backoff when the socket is down, and stale messages dropped."""

import json
import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors.jobs import job_snapshot
from tests.browser.support import RECORDER, chromium, outside_the_browser_loop
from tests.factories import STEPS, deleter, running_job

pytestmark = pytest.mark.browser

SOCKET = re.compile(r"/ws/deletions/")


@pytest.fixture
def session_cookie(console):
    client = Client()
    client.force_login(deleter(username="dana"))
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": console}


def _open(browser, console, cookie, job, route_socket):
    context = browser.new_context()
    context.add_cookies([cookie])
    context.add_init_script(RECORDER)
    context.route_web_socket(SOCKET, route_socket)
    page = context.new_page()
    page.goto(console + reverse("jobs:progress", args=[job.pk]))
    page.evaluate("window.__sameDocument = true")
    return page


def _finish(job_id):
    job = DeletionJob.objects.get(pk=job_id)
    job.status = JobStatus.SUCCEEDED
    job.progress = 100.0
    job.counts = job.preview
    job.steps = {step: {"state": "done", "seconds": 0.5} for step in STEPS}
    job.seq += 1
    job.save()


def test_without_a_socket_the_page_polls_the_status_and_backs_off(console, session_cookie):
    job = running_job(seq=10, progress=20.0)
    attempts = []

    def refuse(socket):
        attempts.append(time.monotonic())
        socket.close(code=1011, reason="test: no socket")

    with chromium() as browser:
        page = _open(browser, console, session_cookie, job, refuse)
        expect(page.locator("#connection")).to_contain_text("Reconnecting")
        page.wait_for_timeout(6_000)
        tried = len(attempts)
        outside_the_browser_loop(_finish, job.pk)

        expect(page.locator("#job-status")).to_have_text("Succeeded", timeout=10_000)
        expect(page.locator("#progress-percent")).to_have_text("100")
        assert page.evaluate("window.__sameDocument") is True

    # Backoff of 1, 2, 4 s (each times 0.5-1 for jitter) from the first attempt: 3 or 4 in 6 s.
    assert 2 <= tried <= 5, f"{tried} socket attempts in 6 s"


def test_messages_older_than_the_page_are_dropped(console, session_cookie):
    job = running_job(seq=10, progress=20.0)
    snapshot = job_snapshot(job)
    sockets = []

    def message(kind, **changes):
        return json.dumps({"type": kind, "job": {**snapshot, **changes}})

    with chromium() as browser:
        page = _open(browser, console, session_cookie, job, lambda socket: sockets.append(socket))
        deadline = time.monotonic() + 10
        while not sockets and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        (socket,) = sockets

        socket.send(message("snapshot", seq=12, progress=40.0))
        expect(page.locator("#progress-percent")).to_have_text("40")
        expect(page.locator("#connection")).to_have_text("Live")
        socket.send(message("update", seq=11, progress=80.0, status="failed", error="from the past"))
        socket.send(message("update", seq=13, progress=60.0))
        expect(page.locator("#progress-percent")).to_have_text("60")
        socket.send(message("update", seq=14, progress=100.0, status="succeeded"))
        expect(page.locator("#job-status")).to_have_text("Succeeded")
        seen = page.evaluate("window.__seen")

    assert seen["percent"] == ["20", "40", "60", "100"]
    assert "Failed" not in seen["status"]

"""A held request in real Chromium: the confirm page announces the approval and the grace
period, the job page waits for a second person, then counts down, and a cancel ends it.

Screenshots go to test-artifacts/: held-confirm.png, held-awaiting-approval.png,
held-scheduled.png.
"""

import re

import pytest
from playwright.sync_api import expect

from campaigns.seeding import CampaignSpec, create_campaign
from campaigns.selectors import find_by_id
from deletion_console.models import DeletionJob, JobStatus
from tests.browser.support import ARTIFACTS, chromium
from tests.factories import PASSWORD, approver, deleter

pytestmark = [pytest.mark.browser]


@pytest.fixture
def held_console(transactional_db, monkeypatch, request):
    # The pages are served by another process: it reads the safeguards from its environment.
    monkeypatch.setenv("DELETION_GRACE_PERIOD", "campaign=3600")
    monkeypatch.setenv("DELETION_APPROVAL_MIN_ENTITIES", "campaign=0")
    return request.getfixturevalue("console")


def sign_in(page, base, user, then):
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")


def test_a_request_waits_for_a_second_approval_then_counts_down_and_can_be_cancelled(held_console, clean_stores, rng):
    campaign = create_campaign(CampaignSpec(name="Vault of Held Breath", events=20), rng)
    requester, second = deleter(username="dana"), approver(username="sam")
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors = []

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        sign_in(page, held_console, requester, f"/campaigns/{campaign.id}/delete/")

        expect(page.get_by_test_id("needs-approval")).to_contain_text("Needs a second approval.")
        expect(page.get_by_test_id("grace-period")).to_contain_text("Grace period: 1 hour.")
        page.fill("#id_confirm_name", campaign.name)
        page.screenshot(path=ARTIFACTS / "held-confirm.png", full_page=True)
        page.get_by_role("button", name="Request deletion of this campaign").click()

        expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
        progress_url = page.url
        expect(page.locator("#job-status")).to_have_text("Awaiting approval")
        expect(page.locator("#held-approval")).to_be_visible()
        expect(page.locator("#approve-form")).to_have_count(0)  # not for the requester
        expect(page.get_by_text("a second person must approve it")).to_be_visible()

        # The second person approves; the requester's open page follows without a reload.
        other = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(other, held_console, second, progress_url.removeprefix(held_console))
        expect(other.locator("#held-approval")).to_be_visible()
        other.screenshot(path=ARTIFACTS / "held-awaiting-approval.png", full_page=True)
        other.get_by_role("button", name="Approve").click()
        expect(other.locator("#job-status")).to_have_text("Scheduled")

        expect(page.locator("#job-status")).to_have_text("Scheduled", timeout=15_000)
        expect(page.locator("#held-scheduled")).to_be_visible()
        expect(page.locator("#countdown")).to_have_text(re.compile(r"^(59:\d\d|1:00:00)$"))
        expect(page.locator("#approved-note")).to_be_visible()
        expect(page.get_by_role("button", name="Run now")).to_be_visible()
        page.reload()
        expect(page.locator("#approved-note")).to_contain_text("Approved by sam")
        page.screenshot(path=ARTIFACTS / "held-scheduled.png", full_page=True)

        page.get_by_role("button", name="Cancel deletion").click()
        expect(page.locator("#job-status")).to_have_text("Cancelled")
        expect(page.locator("#held-scheduled")).to_be_hidden()

    assert page_errors == []
    job = DeletionJob.objects.get(target_id=campaign.id)
    assert job.status == JobStatus.CANCELLED and job.approved_by == second and job.started_at is None
    assert find_by_id(campaign.id)["status"] == "active"  # shown again

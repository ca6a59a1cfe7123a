"""The whole flow in real Chromium: the console served by daphne, deletions run by a real worker.

Screenshots go to test-artifacts/ (git-ignored): campaign-list.png, confirm-page.png,
progress-finished.png and progress-phone.png.
"""

import re

import pytest
from playwright.sync_api import expect

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from campaigns.selectors import find_by_id
from deletion_console.models import DeletionJob, JobStatus
from tests.browser.support import ARTIFACTS, RECORDER, chromium
from tests.factories import PASSWORD, deleter

pytestmark = [pytest.mark.browser, pytest.mark.worker]

# Enough events for the MongoDB step to take several batches, so the page sees counters move.
EVENTS = 10_000


@pytest.fixture
def campaign(clean_stores, rng):
    create_players(["p1", "p2", "p3"])
    return create_campaign(
        CampaignSpec(name="Tomb of the Ash King", events=EVENTS, children=40, players=("p1", "p2", "p3"), sessions=4),
        rng,
    )


def test_delete_a_campaign_and_watch_it_finish_live(console, celery_worker, campaign):
    # Everything touching the database happens outside the browser block: Playwright's sync API
    # keeps an event loop running in this thread, where Django refuses synchronous queries.
    user = deleter(username="dana")
    expected_total = sum(sum(entities.values()) for entities in campaign.counts.values())
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors = []

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORDER)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))

        # Sign in: anonymous users are sent to the login page first.
        page.goto(f"{console}/campaigns/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()

        # Find the campaign and open its confirm page.
        page.fill("#id_q", campaign.name)
        page.press("#id_q", "Enter")
        row = page.locator(f'tr[data-target-id="{campaign.id}"]')
        expect(row).to_contain_text(campaign.name)
        page.screenshot(path=ARTIFACTS / "campaign-list.png", full_page=True)
        row.get_by_role("link", name="Delete…").click()

        # The preview: per store, with totals and thousands separators.
        expect(page.get_by_role("heading", name=campaign.name)).to_be_visible()
        expect(page.get_by_test_id("preview-total")).to_have_text(f"{expected_total:,}")
        expect(page.locator("table[data-step=mongodb]")).to_contain_text(f"{EVENTS:,}")
        expect(page.get_by_text("Player nodes in Neo4j")).to_be_visible()
        page.fill("#id_confirm_name", campaign.name)
        page.screenshot(path=ARTIFACTS / "confirm-page.png", full_page=True)
        page.get_by_role("button", name="Delete this campaign").click()

        # The progress page, followed live: no reload from here on.
        expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
        progress_url = page.url
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#job-status")).to_have_text("Succeeded", timeout=120_000)
        expect(page.locator("#progress-percent")).to_have_text("100")
        expect(page.locator("#progress-bar")).to_have_js_property("value", 100)
        expect(page.locator("#outcome-succeeded")).to_be_visible()
        expect(page.locator("#total-deleted")).to_have_text(f"{expected_total:,}")
        expect(page.locator('#counters tr[data-entity="campaign_events"] [data-role=deleted]')).to_have_text(
            f"{EVENTS:,}"
        )
        expect(page.locator('#steps [data-step="verify"] [data-role=state]')).to_have_text("done")
        expect(page.locator("#cancel-form")).to_be_hidden()
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
        seen = page.evaluate("window.__seen")
        page.screenshot(path=ARTIFACTS / "progress-finished.png", full_page=True)

        # Opened after the end, at phone width: the final state, straight away.
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.add_cookies(context.cookies())
        late = phone.new_page()
        late.goto(progress_url)
        expect(late.locator("#job-status")).to_have_text("Succeeded")
        expect(late.locator("#progress-percent")).to_have_text("100")
        expect(late.locator("#outcome-succeeded")).to_be_visible()
        assert late.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "page wider than phone"
        fits = "(t => t.scrollWidth <= t.parentElement.clientWidth + 1)(document.getElementById('counters'))"
        assert late.evaluate(fits), "the counters table is wider than the phone"
        late.screenshot(path=ARTIFACTS / "progress-phone.png", full_page=True)

    assert page_errors == []
    assert "Live" in seen["connection"], f"the WebSocket never opened: {seen['connection']}"
    totals = [int(value.replace(",", "")) for value in seen["total"]]
    assert totals[-1] == expected_total
    assert any(0 < total < expected_total for total in totals), f"counters never showed a step between: {totals}"
    percents = [int(value) for value in seen["percent"]]
    assert percents == sorted(percents) and percents[-1] == 100
    job = DeletionJob.objects.get(target_id=campaign.id)
    assert job.status == JobStatus.SUCCEEDED and job.requested_by == user
    assert find_by_id(campaign.id) is None

"""Bulk deletion in real Chromium: tick five campaigns, confirm them together by typing how many,
and watch one bar over all of them reach 100 % on the batch page, with no reload.

Screenshots go to test-artifacts/ (git-ignored): bulk-confirm.png and bulk-finished.png.
"""

import re

import pytest
from playwright.sync_api import expect

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from campaigns.selectors import find_by_id
from deletion_console.models import BulkRequest, JobStatus
from tests.browser.support import ARTIFACTS, chromium
from tests.factories import PASSWORD, deleter
from tests.fixtures import dumps

pytestmark = [pytest.mark.browser, pytest.mark.worker]

BAR_VALUES = """
window.__bar = [];
document.addEventListener("DOMContentLoaded", () => {
  const node = document.getElementById("batch-percent");
  if (!node) return;
  const note = () => {
    const value = node.textContent.trim();
    if (window.__bar[window.__bar.length - 1] !== value) window.__bar.push(value);
  };
  note();
  new MutationObserver(note).observe(node, {childList: true, characterData: true, subtree: true});
});
"""


@pytest.fixture
def campaigns(clean_stores, rng):
    create_players(["p1", "p2"])
    create_campaign(CampaignSpec(name="Keep Me", events=40, players=("p1", "p2")), rng)
    before = dumps.all_stores()
    targets = [
        create_campaign(CampaignSpec(name=f"Ember Vale {n}", events=2_000, players=("p1", "p2")), rng) for n in range(5)
    ]
    return before, targets


@pytest.mark.long
def test_five_campaigns_deleted_together_under_one_bar(console, celery_worker, campaigns):
    before, targets = campaigns
    user = deleter(username="bea")
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors = []

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(BAR_VALUES)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(f"{console}/accounts/login/?next=/campaigns/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")

        page.fill("#id_q", "Ember Vale")
        page.press("#id_q", "Enter")
        expect(page.locator("tbody tr")).to_have_count(5)
        expect(page.locator("#bulk-delete")).to_be_disabled()
        page.check("#select-page")
        expect(page.locator("#bulk-count")).to_have_text("5 selected")
        page.click("#bulk-delete")

        # One combined preview: a row per campaign, and the total over all of them.
        expect(page.get_by_test_id("bulk-target-count")).to_have_text("5")
        expect(page.locator("[data-testid=bulk-targets] tbody tr")).to_have_count(5)
        page.fill("#id_confirm_count", "4")
        page.get_by_role("button", name="Delete these 5 campaigns").click()
        expect(page.get_by_role("alert").first).to_contain_text("Type the number of targets, 5")
        page.fill("#id_confirm_count", "5")
        page.screenshot(path=ARTIFACTS / "bulk-confirm.png", full_page=True)
        page.get_by_role("button", name="Delete these 5 campaigns").click()

        expect(page).to_have_url(re.compile(r"/jobs/batches/[0-9a-f-]{36}/$"))
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#batch-state")).to_have_text("Succeeded", timeout=180_000)
        expect(page.locator("#batch-percent")).to_have_text("100")
        expect(page.locator("#batch-bar")).to_have_js_property("value", 100)
        expect(page.locator("#batch-jobs .job-status")).to_have_text(["Succeeded"] * 5)
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
        bar = [int(value) for value in page.evaluate("window.__bar")]
        page.screenshot(path=ARTIFACTS / "bulk-finished.png", full_page=True)

    assert page_errors == []
    assert bar == sorted(bar) and bar[-1] == 100 and len(bar) > 2, f"the bar did not move by steps: {bar}"
    batch = BulkRequest.objects.get()
    assert batch.requested_by == user
    assert [job.status for job in batch.jobs.all()] == [JobStatus.SUCCEEDED] * 5
    assert all(find_by_id(c.id) is None for c in targets)
    assert dumps.all_stores() == before

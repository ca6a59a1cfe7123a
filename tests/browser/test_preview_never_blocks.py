""" "Delete all matching" over many campaigns, with a big store behind them: the confirm page
answers at once, the counts fill in live as the worker makes them ("counting 12 of 30
campaigns"), and the confirm button is enabled only once every count, and its signature, is in.

Screenshots go to test-artifacts/ (git-ignored): preview-counting.png and preview-counted.png.
"""

import re
import time

import pytest
from django.core import signing
from playwright.sync_api import expect

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob
from deletion_console.services.preview import preview
from tests.browser.support import ARTIFACTS, chromium
from tests.factories import PASSWORD, deleter

pytestmark = [pytest.mark.browser, pytest.mark.worker]

TARGETS = 30
# Other campaigns' events: with FerretDB a count reads the whole collection, so each target's
# count takes a while however small the target is (a million of them made 45 campaigns 31 s).
BACKGROUND_EVENTS = 200_000
PAGE_ANSWER_MS = 1000

# Every state the counts region goes through, with the button's state at that moment.
OBSERVER = """
window.__states = [];
document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("preview-live");
  const button = document.getElementById("confirm-button");
  if (!live || !button) return;
  const note = () => {
    const progress = live.querySelector("[data-testid=preview-progress]");
    const state = {done: live.getAttribute("data-done") === "true",
                   progress: progress ? progress.textContent.trim() : "",
                   disabled: button.disabled,
                   signed: live.querySelectorAll("input[name=shown]").length};
    const last = window.__states[window.__states.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(state)) window.__states.push(state);
  };
  note();
  new MutationObserver(note).observe(live, {childList: true, subtree: true, attributes: true});
  new MutationObserver(note).observe(button, {attributes: true});
});
"""


@pytest.fixture
def campaigns(clean_stores, rng):
    create_campaign(CampaignSpec(name="Everyone Else", events=BACKGROUND_EVENTS, children=1, sessions=1), rng)
    return [
        create_campaign(CampaignSpec(name=f"Ember Vale {n:02}", events=10 + n, children=1, sessions=1), rng)
        for n in range(TARGETS)
    ]


def test_delete_all_matching_answers_at_once_and_fills_in_the_counts_live(console, celery_worker, campaigns):
    user = deleter(username="bea")
    # The premise: counted the old way, before answering, this page would have kept the browser waiting.
    started = time.monotonic()
    expected = {c.id: preview("campaign", c.id) for c in campaigns}
    synchronous = time.monotonic() - started
    assert synchronous > PAGE_ANSWER_MS / 1000, f"counting took only {synchronous:.2f} s: make the store bigger"
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors = []

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.goto(f"{console}/accounts/login/?next=/campaigns/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.fill("#id_q", "Ember Vale")
        page.press("#id_q", "Enter")
        expect(page.get_by_test_id("delete-all-matching")).to_be_visible()

        page.get_by_test_id("delete-all-matching").click()
        expect(page.get_by_test_id("bulk-target-count")).to_have_text(str(TARGETS))
        # From the click to the page's last byte, as the browser measured it.
        answered_ms = page.evaluate(
            "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.responseEnd - n.startTime; })()"
        )
        expect(page.locator("[data-testid=bulk-targets] tbody tr")).to_have_count(TARGETS)
        page.screenshot(path=ARTIFACTS / "preview-counting.png", full_page=True)

        expect(page.locator("#preview-live")).to_have_attribute("data-done", "true", timeout=60_000)
        expect(page.get_by_test_id("confirm-button")).to_be_enabled()
        page.screenshot(path=ARTIFACTS / "preview-counted.png", full_page=True)
        states = page.evaluate("window.__states")
        rows = {
            row.get_attribute("data-target-id"): row.locator("td").last.inner_text()
            for row in page.locator("[data-testid=bulk-targets] tbody tr").all()
        }
        shown = dict(
            zip(
                [node.get_attribute("value") for node in page.locator("input[name=target]").all()],
                [node.get_attribute("value") for node in page.locator("input[name=shown]").all()],
                strict=True,
            )
        )
        grand_total = page.get_by_test_id("preview-total").inner_text()

    assert page_errors == []
    assert answered_ms < PAGE_ANSWER_MS, f"the page took {answered_ms:.0f} ms to answer"
    # It answered before the counts were in, and they filled in while the page was open.
    first, last = states[0], states[-1]
    assert not first["done"] and first["disabled"] and first["signed"] < TARGETS, states
    progress = [s["progress"] for s in states if not s["done"]]
    assert len(set(progress)) >= 2 and all(re.fullmatch(rf"counting \d+ of {TARGETS} campaigns", p) for p in progress)
    counted = [int(p.split()[1]) for p in progress]
    assert counted == sorted(counted), progress
    # The button is enabled exactly when every count is in.
    assert all(s["disabled"] == (not s["done"]) for s in states), states
    assert last["done"] and not last["disabled"] and last["signed"] == TARGETS
    # What the form signs is what the page shows, and what the stores hold.
    assert set(shown) == set(rows) == set(expected)
    for target_id, token in shown.items():
        signed = signing.loads(token, salt="deletion-console.preview")
        assert signed["counts"] == expected[target_id].counts
        assert rows[target_id] == f"{sum(sum(e.values()) for e in signed['counts'].values()):,}"
    assert grand_total == f"{sum(p.total for p in expected.values()):,}"
    assert DeletionJob.objects.count() == 0

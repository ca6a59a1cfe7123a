"""A tenant in real Chromium: found on /tenants/, previewed per service, confirmed by name, and
followed service by service until it succeeds, with no reload.

Screenshots go to test-artifacts/ (git-ignored): tenant-list.png, tenant-confirm.png and
tenant-finished.png.
"""

import re

import pytest
from playwright.sync_api import expect

from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobStatus
from tenants.seeding import TenantSpec, create_tenant
from tests.browser.support import ARTIFACTS, RECORDER, chromium
from tests.factories import PASSWORD, deleter

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture
def tenant(clean_stores, rng):
    create_tenant(TenantSpec(id="t-1", name="Harbour Bakery"), rng)
    # Rows enough for the services' deletes to take several batches each.
    return create_tenant(TenantSpec(id="t-10", name="Old Town Deli", rows=400, documents=300), rng)


def test_delete_a_tenant_and_watch_every_service_finish_live(console, celery_worker, tenant):
    user = deleter(username="dana")
    total = sum(sum(entities.values()) for entities in tenant.counts.values())
    plan = get_plan("tenant")
    services = plan.phase("services").steps
    # The list counts the rows that carry the tenant's id.
    owned_rows = sum(
        tenant.counts[step.name][item.entity] for step, item in plan.all_items() if getattr(item, "owner", None)
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page_errors = []

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORDER)
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors.append(str(error)))

        page.goto(f"{console}/tenants/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_role("heading", name="Tenants")).to_be_visible()

        row = page.locator('tr[data-target-id="t-10"]')
        expect(row).to_contain_text("Old Town Deli")
        expect(row.locator('td[data-label="Rows with its tenant_id"]')).to_have_text(f"{owned_rows:,}")
        page.screenshot(path=ARTIFACTS / "tenant-list.png", full_page=True)
        row.get_by_role("link", name="Delete…").click()

        # The preview, one table per service, with what is kept.
        expect(page.get_by_role("heading", name="Old Town Deli")).to_be_visible()
        expect(page.get_by_test_id("preview-total")).to_have_text(f"{total:,}")
        for service in services:
            expect(page.locator(f"table[data-step={service.name}] caption")).to_contain_text(service.label)
        expect(page.locator("table[data-step=orders]")).to_contain_text("order_items")
        expect(page.get_by_text("Supplier nodes in Neo4j")).to_be_visible()
        page.fill("#id_confirm_name", "Old Town Deli")
        page.screenshot(path=ARTIFACTS / "tenant-confirm.png", full_page=True)
        page.get_by_role("button", name="Delete this tenant").click()

        expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
        page.evaluate("window.__sameDocument = true")
        expect(page.locator("#job-status")).to_have_text("Succeeded", timeout=120_000)
        for service in services:
            expect(page.locator(f'#steps [data-step="{service.name}"] [data-role=state]')).to_have_text("done")
        expect(page.locator('#steps [data-phase="services"] [data-role=state]').first).to_have_text("done")
        expect(page.locator('#steps [data-phase="services"] [data-role=done]')).to_have_text(str(len(services)))
        expect(page.locator('#steps [data-step="registry"] [data-role=state]')).to_have_text("done")
        expect(page.locator("#total-deleted")).to_have_text(f"{total:,}")
        assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
        seen = page.evaluate("window.__seen")
        page.screenshot(path=ARTIFACTS / "tenant-finished.png", full_page=True)

    assert page_errors == []
    assert "Live" in seen["connection"], f"the WebSocket never opened: {seen['connection']}"
    percents = [int(value) for value in seen["percent"]]
    assert percents == sorted(percents) and percents[-1] == 100
    job = DeletionJob.objects.get(kind="tenant", target_id="t-10")
    assert job.status == JobStatus.SUCCEEDED and job.counts == tenant.counts

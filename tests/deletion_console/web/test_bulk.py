"""The bulk pages: ticked rows or a whole search go to one combined preview, confirmed by typing
how many targets it deletes, then the batch page."""

import pytest
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import BulkRequest, DeletionJob
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import deleter, viewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]

BULK = reverse("targets:bulk-delete", args=["campaigns"])


@pytest.fixture
def campaigns(rng):
    return [create_campaign(CampaignSpec(name=f"Ember {n}", events=10 + n), rng) for n in range(3)] + [
        create_campaign(CampaignSpec(name="Frost", events=5), rng)
    ]


@pytest.fixture
def deleter_client(client):
    client.force_login(deleter(username="dana"))
    return client


def confirm_data(targets, typed):
    return {
        "target": [t.id for t in targets],
        "shown": [sign_preview(preview("campaign", t.id)) for t in targets],
        "confirm_count": typed,
    }


def test_the_list_offers_a_checkbox_per_row_and_delete_all_matching(deleter_client, campaigns):
    html = deleter_client.get(reverse("targets:list", args=["campaigns"]), {"q": "Ember"}).content.decode()

    assert html.count('name="ids"') == 3
    assert f"{BULK}?all=1&amp;q=Ember" in html


def test_the_list_has_no_bulk_form_without_the_permission(client, campaigns):
    client.force_login(viewer(username="vic"))
    html = client.get(reverse("targets:list", args=["campaigns"])).content.decode()

    assert 'name="ids"' not in html and BULK not in html


def test_the_combined_preview_shows_each_ticked_target_and_the_total(deleter_client, campaigns):
    picked = campaigns[:2]

    response = deleter_client.get(BULK, {"ids": [c.id for c in picked]})

    html = response.content.decode()
    assert response.status_code == 200
    assert all(f'data-target-id="{c.id}"' in html for c in picked)
    assert f'data-target-id="{campaigns[2].id}"' not in html
    total = sum(preview("campaign", c.id).total for c in picked)
    assert f'data-testid="preview-total">{total:,}<' in html
    assert 'Type <strong class="typed-name">2</strong>' in html


def test_all_matching_takes_every_target_the_search_finds(deleter_client, campaigns):
    html = deleter_client.get(BULK, {"all": "1", "q": "Ember"}).content.decode()

    assert html.count('name="target"') == 3 and "Frost" not in html


def test_more_matches_than_one_batch_may_hold_are_refused_with_advice(deleter_client, campaigns, settings):
    settings.DELETION_BATCH_MAX_TARGETS = 2

    response = deleter_client.get(BULK, {"all": "1", "q": "Ember"})

    assert response.status_code == 400
    assert "More than 2 campaigns match" in response.content.decode()


def test_nothing_selected_is_refused_with_a_way_back(deleter_client):
    response = deleter_client.get(BULK)

    assert response.status_code == 400 and "Select at least one target" in response.content.decode()


def test_a_wrong_count_is_refused_and_nothing_is_requested(deleter_client, campaigns):
    response = deleter_client.post(BULK, confirm_data(campaigns[:2], "3"))

    assert response.status_code == 400
    assert "Type the number of targets, 2" in response.content.decode()
    assert not DeletionJob.objects.exists()


def test_the_right_count_requests_the_batch_and_opens_its_page(deleter_client, campaigns, settings):
    settings.DELETION_BATCH_MAX_RUNNING = 2

    response = deleter_client.post(BULK, confirm_data(campaigns[:3], "3"))

    batch = BulkRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:batch", args=[batch.pk])
    assert sorted(batch.jobs.values_list("status", flat=True)) == ["pending", "pending", "queued"]
    page = deleter_client.get(response.url).content.decode()
    assert all(f'data-job-id="{job.pk}"' in page for job in batch.jobs.all())
    assert 'id="batch-bar"' in page and "at most 2 jobs run at once" in page


def test_a_target_changed_since_it_was_shown_is_named_and_shown_again(deleter_client, campaigns):
    data = confirm_data(campaigns[:2], "2")
    mongo.database()["campaign_events"].insert_one({"campaign_id": campaigns[1].id, "kind": "late"})

    response = deleter_client.post(BULK, data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was requested" in html and "has changed since it was previewed" in html
    assert not DeletionJob.objects.exists()


def test_a_tenant_list_gets_the_same_bulk_pages(deleter_client, rng):
    tenants = [create_tenant(TenantSpec(id=f"t-{n}", name=f"Deli {n}"), rng) for n in (1, 2)]

    html = deleter_client.get(
        reverse("targets:bulk-delete", args=["tenants"]), {"ids": [t.id for t in tenants]}
    ).content.decode()

    assert all(f'data-target-id="{t.id}"' in html for t in tenants)
    assert html.count('name="shown"') == 2

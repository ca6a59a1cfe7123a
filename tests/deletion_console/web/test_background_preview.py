"""The confirm pages when their counts are not ready: the page answers with what it has, the
browser polls for the rest, and the button is enabled only once every count, with its
signature, has arrived. The workers' part is played here by `count_target`, as a task would."""

import re
import uuid

import pytest
from django.core import signing
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import BulkRequest, DeletionJob, PreviewRequest
from deletion_console.services.background_preview import count_target
from tests.factories import deleter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]

BULK = reverse("targets:bulk-delete", args=["campaigns"])


@pytest.fixture(autouse=True)
def counted_in_the_background(settings):
    settings.DELETION_PREVIEW_INLINE_SECONDS = 0


@pytest.fixture
def campaigns(rng):
    return [create_campaign(CampaignSpec(name=f"Ember {n}", events=30 + n, children=2), rng) for n in range(3)]


@pytest.fixture
def deleter_client(client):
    client.force_login(deleter(username="dana"))
    return client


def poll(client, html: str) -> dict:
    url = re.search(r'data-poll-url="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(url)
    assert response.status_code == 200
    return response.json()


def shown_tokens(html: str) -> dict[str, str]:
    targets = re.findall(r'name="target" value="([^"]+)"', html)
    tokens = re.findall(r'name="shown" value="([^"]+)"', html)
    return dict(zip(targets, tokens, strict=True))


def button_disabled(html: str) -> bool:
    return re.search(r'<button[^>]*id="confirm-button"[^>]*>', html).group(0).endswith(" disabled>")


def test_the_confirm_page_answers_before_counting_and_fills_in_what_the_worker_counted(deleter_client, campaigns):
    campaign = campaigns[0]
    url = reverse("targets:delete", args=["campaigns", campaign.id])

    response = deleter_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ember 0" in html and 'data-testid="preview-counting"' in html and "counting 0 of 1 campaign" in html
    assert button_disabled(html) and 'name="shown"' not in html and "js/preview.js" in html
    assert poll(deleter_client, html)["done"] is False

    count_target(preview_id=str(PreviewRequest.objects.get().pk), index=0)
    state = poll(deleter_client, html)

    assert state["done"] is True and state["status"] == "done" and state["button"] == "Delete this campaign"
    total = sum(sum(e.values()) for e in campaign.counts.values())
    assert f'data-testid="preview-total">{total:,}<' in state["html"]
    # The signature the form now carries is of exactly the counts shown beside it.
    token = re.search(r'name="shown" value="([^"]+)"', state["html"]).group(1)
    signed = signing.loads(token, salt="deletion-console.preview")
    assert signed == {"target": campaign.id, "label": "Ember 0", "counts": campaign.counts}
    response = deleter_client.post(url, {"confirm_name": "Ember 0", "shown": token})
    assert response.status_code == 302 and DeletionJob.objects.get().preview == campaign.counts


def test_the_bulk_page_fills_in_target_by_target_and_carries_only_counted_signatures(deleter_client, campaigns):
    response = deleter_client.get(BULK, {"ids": [c.id for c in campaigns]})

    html = response.content.decode()
    assert response.status_code == 200 and "counting 0 of 3 campaigns" in html and button_disabled(html)
    assert all(f'data-target-id="{c.id}"' in html for c in campaigns) and shown_tokens(html) == {}
    preview_id = str(PreviewRequest.objects.get().pk)

    count_target(preview_id=preview_id, index=1)
    halfway = poll(deleter_client, html)
    assert halfway["done"] is False and halfway["progress"] == "counting 1 of 3 campaigns"
    assert list(shown_tokens(halfway["html"])) == [campaigns[1].id]

    count_target(preview_id=preview_id, index=0)
    count_target(preview_id=preview_id, index=2)
    done = poll(deleter_client, html)
    assert done["done"] is True and done["counted"] == 3
    tokens = shown_tokens(done["html"])
    assert list(tokens) == [c.id for c in campaigns]
    for campaign in campaigns:
        assert signing.loads(tokens[campaign.id], salt="deletion-console.preview")["counts"] == campaign.counts
    grand = sum(sum(sum(e.values()) for e in c.counts.values()) for c in campaigns)
    assert f'data-testid="preview-total">{grand:,}<' in done["html"]

    posted = {"target": list(tokens), "shown": list(tokens.values()), "confirm_count": "3"}
    response = deleter_client.post(BULK, posted)
    assert response.status_code == 302 and BulkRequest.objects.get().jobs.count() == 3


def test_a_preview_is_polled_only_by_the_person_who_asked_for_it(client, deleter_client, campaigns):
    html = deleter_client.get(BULK, {"ids": [campaigns[0].id]}).content.decode()
    url = re.search(r'data-poll-url="([^"]+)"', html).group(1).replace("&amp;", "&")

    client.force_login(deleter(username="other"))
    assert client.get(url).status_code == 404
    assert client.get(reverse("targets:preview-progress", args=[uuid.uuid4()])).status_code == 404


def test_a_failed_count_says_so_and_keeps_the_button_disabled(deleter_client, campaigns):
    html = deleter_client.get(BULK, {"ids": [c.id for c in campaigns[:2]]}).content.decode()
    PreviewRequest.objects.update(error="A store did not answer, so the preview could not be counted: AutoReconnect")

    state = poll(deleter_client, html)

    assert state["done"] is False and state["status"] == "failed"
    assert "A store did not answer" in state["html"] and "reload the page" in state["html"]

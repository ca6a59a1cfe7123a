import pytest
from django.urls import reverse

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory, deleter, viewer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


@pytest.fixture
def campaign(rng):
    create_players(["p1", "p2"])
    return create_campaign(
        CampaignSpec(name="Tomb of Ash", events=1234, children=3, players=("p1", "p2"), sessions=2), rng
    )


@pytest.fixture
def deleter_client(client):
    client.force_login(deleter(username="dana"))
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(viewer(username="vic"))
    return client


def _delete_url(campaign_id):
    return reverse("targets:delete", args=["campaigns", campaign_id])


# -- list ---------------------------------------------------------------------------------------


def test_list_sends_anonymous_users_to_sign_in(client):
    response = client.get(reverse("targets:list", args=["campaigns"]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_list_shows_campaigns_and_delete_buttons_to_deleters(deleter_client, campaign):
    response = deleter_client.get(reverse("targets:list", args=["campaigns"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tomb of Ash" in html and campaign.id in html
    assert _delete_url(campaign.id) in html


def test_list_has_no_delete_button_without_the_permission(viewer_client, campaign):
    response = viewer_client.get(reverse("targets:list", args=["campaigns"]))

    assert response.status_code == 200
    assert "Tomb of Ash" in response.content.decode()
    assert _delete_url(campaign.id) not in response.content.decode()
    assert "button--danger" not in response.content.decode()


def test_list_searches_by_name(deleter_client, campaign, rng):
    create_campaign(CampaignSpec(name="Harbour Town", events=0), rng)

    html = deleter_client.get(reverse("targets:list", args=["campaigns"]), {"q": "tomb"}).content.decode()

    assert "Tomb of Ash" in html and "Harbour Town" not in html


def test_list_shows_a_campaign_being_deleted_with_a_link_to_its_job(deleter_client, campaign):
    job = DeletionJobFactory(target_id=campaign.id, target_label="Tomb of Ash", status=JobStatus.RUNNING)

    html = deleter_client.get(reverse("targets:list", args=["campaigns"])).content.decode()

    assert "Being deleted" in html
    assert reverse("jobs:progress", args=[job.pk]) in html
    assert _delete_url(campaign.id) not in html


# -- confirm page -------------------------------------------------------------------------------


def test_confirm_page_shows_the_preview_per_store_with_totals_and_what_is_kept(deleter_client, campaign):
    response = deleter_client.get(_delete_url(campaign.id))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Tomb of Ash" in html
    assert "1,234" in html  # campaign events, with a thousands separator
    total = sum(sum(e.values()) for e in campaign.counts.values())
    assert f'data-testid="preview-total">{total:,}<' in html
    for store in ("MongoDB", "Neo4j", "PostgreSQL"):
        assert f"<caption>{store}</caption>" in html
    for entity in ("campaign_events", "PLAYS_IN", "session_attendance"):
        assert f"<code>{entity}</code>" in html
    assert "Player nodes in Neo4j" in html and "players rows in PostgreSQL" in html
    assert 'name="confirm_name"' in html


def test_a_wrong_name_is_refused_with_a_message_and_nothing_starts(deleter_client, campaign):
    response = deleter_client.post(_delete_url(campaign.id), {"confirm_name": "tomb of ash"})

    assert response.status_code == 400
    assert "does not match" in response.content.decode()
    assert not DeletionJob.objects.exists()


def confirmation(campaign, typed):
    """What the confirm page posts: the typed name and the signed counts it showed."""
    return {"confirm_name": typed, "shown": sign_preview(preview("campaign", campaign.id))}


def test_the_right_name_creates_the_job_and_redirects_to_its_progress_page(deleter_client, campaign):
    response = deleter_client.post(_delete_url(campaign.id), confirmation(campaign, " Tomb of Ash "))

    job = DeletionJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("jobs:progress", args=[job.pk])
    assert (job.kind, job.target_id, job.target_label) == ("campaign", campaign.id, "Tomb of Ash")
    assert job.requested_by.username == "dana"
    assert job.preview == campaign.counts


def test_counts_that_changed_since_the_page_was_shown_are_shown_again_and_nothing_starts(deleter_client, campaign):
    shown = confirmation(campaign, "Tomb of Ash")
    mongo.database()["campaign_events"].insert_one({"campaign_id": campaign.id, "kind": "late"})

    response = deleter_client.post(_delete_url(campaign.id), shown)

    assert response.status_code == 400
    html = response.content.decode()
    assert "has changed since it was previewed" in html
    assert f"{campaign.counts['mongodb']['campaign_events'] + 1:,}" in html
    assert not DeletionJob.objects.exists()
    deleter_client.post(_delete_url(campaign.id), confirmation(campaign, "Tomb of Ash"))
    assert (
        DeletionJob.objects.get().preview["mongodb"]["campaign_events"]
        == campaign.counts["mongodb"]["campaign_events"] + 1
    )


def test_unknown_campaign_is_a_404_page(deleter_client):
    response = deleter_client.get(_delete_url("no-such-campaign"))

    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_a_campaign_with_a_running_job_redirects_to_that_job_with_a_message(deleter_client, campaign):
    job = DeletionJobFactory(target_id=campaign.id, status=JobStatus.RUNNING)

    for response in (
        deleter_client.get(_delete_url(campaign.id), follow=True),
        deleter_client.post(_delete_url(campaign.id), {"confirm_name": "Tomb of Ash"}, follow=True),
    ):
        assert response.redirect_chain[0] == (reverse("jobs:progress", args=[job.pk]), 302)
        assert "already running" in response.content.decode()
    assert DeletionJob.objects.count() == 1


def test_without_the_permission_the_confirm_page_and_the_post_are_403(viewer_client, campaign):
    assert viewer_client.get(_delete_url(campaign.id)).status_code == 403
    response = viewer_client.post(_delete_url(campaign.id), {"confirm_name": "Tomb of Ash"})

    assert response.status_code == 403
    assert "You may not do this" in response.content.decode()
    assert not DeletionJob.objects.exists()


def test_anonymous_users_are_sent_to_sign_in_from_the_confirm_page(client, campaign):
    for response in (
        client.get(_delete_url(campaign.id)),
        client.post(_delete_url(campaign.id), {"confirm_name": "Tomb of Ash"}),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert not DeletionJob.objects.exists()


# -- tenants, through the same views -----------------------------------------------------------


@pytest.fixture
def tenant(rng):
    create_tenant(TenantSpec(id="t-1", name="Neighbour Bakery"), rng)
    return create_tenant(TenantSpec(id="t-10", name="Harbour Deli", rows=5), rng)


def test_the_tenant_list_shows_name_id_created_and_rows_beside_the_campaigns(deleter_client, tenant):
    html = deleter_client.get(reverse("targets:list", args=["tenants"])).content.decode()

    assert "<h1>Tenants</h1>" in html and 'href="/campaigns/"' in html
    assert 'data-target-id="t-10"' in html and "Harbour Deli" in html and "Neighbour Bakery" in html
    assert ">65<" in html.replace("\n", "").replace(" ", "")  # 13 tables with tenant_id x 5 rows
    assert 'href="/tenants/t-10/delete/"' in html


def test_the_tenant_confirm_page_groups_the_preview_by_service_with_totals_and_what_is_kept(deleter_client, tenant):
    html = deleter_client.get(reverse("targets:delete", args=["tenants", "t-10"])).content.decode()

    for step, entities in tenant.counts.items():
        assert f'data-step="{step}"' in html
        assert f'<th scope="row">Total</th><td class="num strong">{sum(entities.values())}</td>' in html
    assert "in 8 services" in html and "Supplier nodes in Neo4j" in html
    assert "Delete this tenant" in html


def test_a_tenant_is_requested_by_typing_its_name_and_refused_otherwise(deleter_client, tenant):
    url = reverse("targets:delete", args=["tenants", "t-10"])
    shown = sign_preview(preview("tenant", "t-10"))

    wrong = deleter_client.post(url, {"confirm_name": "harbour deli", "shown": shown})
    right = deleter_client.post(url, {"confirm_name": "Harbour Deli", "shown": shown})

    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    job = DeletionJob.objects.get(kind="tenant", target_id="t-10")
    assert right.status_code == 302 and right.url == reverse("jobs:progress", args=[job.pk])


def test_a_kind_nobody_declared_has_no_pages(deleter_client):
    assert deleter_client.get("/planets/").status_code == 404
    assert deleter_client.get("/planets/p-1/delete/").status_code == 404

"""The Orphans page: the last sweep's counts per kind, store and entity, "Sweep now", and the
clean-up through the ordinary confirm and progress pages."""

import time

import pytest
from django.urls import reverse

from deletion_console.models import DeletionJob, JobStatus, OrphanSweep
from deletion_console.services import orphans
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from tests.factories import deleter, viewer
from tests.fixtures import dumps
from tests.fixtures.orphans import orphaned_campaign, orphaned_tenant, seed_neighbours
from tests.fixtures.worker import wait_for_job

PAGE = reverse("orphans:index")
CLEAN = reverse("orphans:clean", args=["campaign"])


@pytest.fixture
def deleter_client(client):
    client.force_login(deleter(username="dana"))
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(viewer(username="vic"))
    return client


@pytest.mark.django_db
def test_before_any_sweep_the_page_says_so_and_offers_to_sweep(deleter_client):
    html = deleter_client.get(PAGE).content.decode()

    assert "No sweep has run yet." in html
    assert 'data-testid="sweep-now"' in html
    assert f'href="{PAGE}"' in html  # in the navigation


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_stores")
def test_a_sweep_that_found_nothing_says_so_with_its_time(deleter_client, rng):
    seed_neighbours(rng)
    sweep = orphans.run_sweep()

    html = deleter_client.get(PAGE).content.decode()

    assert f"No orphaned data found at {sweep.finished_at:%Y-%m-%d %H:%M:%S}." in html
    assert 'data-testid="clean-up"' not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_stores")
def test_the_page_shows_the_last_sweeps_counts_per_kind_store_and_entity(deleter_client, rng):
    seed_neighbours(rng)
    campaign = orphaned_campaign(rng, "Crashed", events=1234)
    orphaned_tenant(rng, "t-crashed")
    orphans.run_sweep()

    html = deleter_client.get(PAGE).content.decode()

    assert "<h2" in html and ">Campaigns</h2>" in html and ">Tenants</h2>" in html
    assert '<tr data-entity="campaign_events"><td><code>campaign_events</code></td><td class="num">1,234</td>' in html
    assert '<tr data-entity="PLAYS_IN"><td><code>PLAYS_IN</code></td><td class="num">2</td>' in html
    assert '<tr data-entity="Tenant"><td><code>Tenant</code></td><td class="num">1</td>' in html
    for store in ("MongoDB", "Neo4j", "PostgreSQL"):
        assert f"<caption>{store}</caption>" in html
    assert campaign.id in html and "t-crashed" in html
    assert CLEAN in html and reverse("orphans:clean", args=["tenant"]) in html


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_stores")
def test_a_capped_sweep_says_it_lists_only_the_first_owners(deleter_client, rng, settings):
    settings.ORPHAN_SWEEP_MAX_OWNERS = 1
    orphaned_campaign(rng, "First")
    orphaned_campaign(rng, "Second")
    orphans.run_sweep()

    html = deleter_client.get(PAGE).content.decode()

    assert 'data-testid="orphans-capped"' in html and "ORPHAN_SWEEP_MAX_OWNERS" in html


@pytest.mark.django_db
def test_without_the_deletion_permission_the_page_shows_no_buttons_and_the_actions_are_refused(viewer_client):
    assert viewer_client.get(PAGE).status_code == 200
    assert 'data-testid="sweep-now"' not in viewer_client.get(PAGE).content.decode()
    assert viewer_client.post(reverse("orphans:sweep")).status_code == 403
    assert viewer_client.get(CLEAN).status_code == 403
    assert not OrphanSweep.objects.exists()


@pytest.mark.django_db
def test_the_page_sends_anonymous_users_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_an_unknown_kind_has_no_clean_up_page(deleter_client):
    assert deleter_client.get(reverse("orphans:clean", args=["planet"])).status_code == 404


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "transactional_db", "celery_worker")
def test_sweep_now_queues_a_sweep_that_the_worker_runs_and_the_page_then_shows(deleter_client, rng):
    orphaned_tenant(rng, "t-crashed")

    response = deleter_client.post(reverse("orphans:sweep"))
    deadline = time.monotonic() + 30
    while not OrphanSweep.objects.filter(finished_at__isnull=False).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    sweep = OrphanSweep.objects.get()

    assert response.status_code == 302 and response.url == PAGE
    assert sweep.trigger == OrphanSweep.Trigger.PERSON and sweep.requested_by.username == "dana"
    assert sweep.findings["tenant"]["refs"] == ["t-crashed"]
    html = deleter_client.get(PAGE).content.decode()
    assert "sweep now by dana" in html and "t-crashed" in html


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "transactional_db", "celery_worker")
@pytest.mark.usefixtures("certificate_key")
def test_clean_up_goes_through_the_ordinary_confirm_page_to_the_live_progress_page(deleter_client, rng):
    seed_neighbours(rng)
    before = dumps.all_stores()
    orphaned_campaign(rng, "Crashed")
    orphans.run_sweep()
    current = preview("campaign-orphans", "campaign")

    api_preview = deleter_client.get(reverse("api:target-preview", args=["campaign-orphans", "campaign"])).json()
    confirm = deleter_client.get(CLEAN)
    wrong = deleter_client.post(CLEAN, {"confirm_name": "orphaned campaign data", "shown": sign_preview(current)})
    response = deleter_client.post(CLEAN, {"confirm_name": "Orphaned campaign data", "shown": sign_preview(current)})
    job = wait_for_job(DeletionJob.objects.get(kind="campaign-orphans").pk)

    assert api_preview["counts"] == current.counts and api_preview["label"] == "Orphaned campaign data"
    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert f'data-testid="preview-total">{current.total:,}<' in html
    assert 'Type <strong class="typed-name">Orphaned campaign data</strong> to confirm' in html
    assert f'<a href="{PAGE}">Orphaned data</a>' in html  # the way back is the Orphans page
    assert wrong.status_code == 400 and "does not match" in wrong.content.decode()
    assert response.status_code == 302 and response.url == reverse("jobs:progress", args=[job.pk])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert deleter_client.get(response.url).status_code == 200
    assert deleter_client.get(reverse("api:deletion-detail", args=[job.pk])).json()["status"] == "succeeded"
    certificate = deleter_client.get(reverse("jobs:certificate", args=[job.pk])).content.decode()
    assert "each orphaned campaign collected before the first delete" in certificate
    assert dumps.all_stores() == before
    assert 'data-testid="cleaned-since"' in deleter_client.get(PAGE).content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_stores")
def test_a_refused_sweep_says_why_on_the_page_and_in_the_admin_and_offers_no_clean_up(deleter_client, rng, settings):
    seed_neighbours(rng)
    settings.MONGODB_DB = "an-empty-database"
    sweep = orphans.run_sweep()
    staff = viewer(username="root", is_staff=True, is_superuser=True)

    html = deleter_client.get(PAGE).content.decode()
    deleter_client.force_login(staff)
    change_page = reverse("admin:deletion_console_orphansweep_change", args=[sweep.pk])
    admin_html = deleter_client.get(change_page).content.decode()

    assert 'data-testid="orphans-refused"' in html and "is it the right database?" in html
    assert 'data-testid="clean-up"' not in html
    assert "is it the right database?" in admin_html

"""Finding orphaned data from the plan declarations, on the real stores; the clean-up plan derived
from each kind's plan; an owner that exists again is never touched."""

import dataclasses

import pytest

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.engine import orphans
from deletion_console.engine.plan import Step, get_plan, kinds
from deletion_console.models import CollectedId, DeletionJob, JobStatus
from deletion_console.selectors import plan_checks
from deletion_console.selectors.orphans import find_orphans, orphan_plan
from deletion_console.selectors.scopes import JobScope
from deletion_console.services import indexes
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as target_sql
from tests.fixtures import dumps
from tests.fixtures.orphans import (
    PLAYERS,
    nonzero,
    orphan_counts,
    orphaned_campaign,
    orphaned_tenant,
    plant_ghost_campaign_data,
    seed_neighbours,
)
from tests.kinds.guild import DUES_TABLE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def find(kind: str, limit: int = 100) -> orphans.Findings:
    return find_orphans(get_plan(kind), limit=limit)


def test_data_of_living_campaigns_and_tenants_is_never_reported(rng):
    seed_neighbours(rng)

    for kind in ("campaign", "tenant"):
        found = find(kind)
        assert found.owners == [] and found.total == 0 and not found.capped, found


def test_orphans_a_crashed_script_left_are_found_per_store_and_entity(rng):
    seed_neighbours(rng)
    campaign = orphaned_campaign(rng, "Crashed")
    tenant = orphaned_tenant(rng, "t-crashed")

    campaigns, tenants = find("campaign"), find("tenant")

    assert campaigns.owners == [campaign.id]
    assert nonzero(campaigns.counts) == orphan_counts("campaign", campaign.counts)
    assert tenants.owners == [tenant.id]
    assert nonzero(tenants.counts) == orphan_counts("tenant", tenant.counts)
    # Graph nodes and relationships, documents and rows alike, each in its own store.
    assert campaigns.counts["neo4j"]["PLAYS_IN"] == 2 and campaigns.counts["neo4j"]["Campaign"] == 1
    assert tenants.counts["graph"]["BUYS_FROM"] == 2 and tenants.counts["registry"]["Tenant"] == 1


def test_child_data_pointing_at_an_owner_that_never_existed_is_found(rng):
    seed_neighbours(rng)
    planted = plant_ghost_campaign_data("ghost-campaign")

    found = find("campaign")

    assert found.owners == ["ghost-campaign"]
    assert nonzero(found.counts) == planted


def test_what_an_active_deletion_job_is_removing_is_not_orphaned(rng):
    campaign = orphaned_campaign(rng, "Half deleted")
    DeletionJob.objects.create(kind="campaign", target_id=campaign.id, status=JobStatus.RUNNING)

    assert find("campaign").owners == []


def test_a_sweep_lists_at_most_the_configured_number_of_owners_and_says_it_stopped(rng):
    planted = [plant_ghost_campaign_data(f"ghost-{n}", events=n + 1) for n in range(3)]

    found = find("campaign", limit=2)

    assert found.capped
    assert found.owners == ["ghost-0", "ghost-1"]  # the first met: containers in plan order, refs in order
    assert found.counts["mongodb"]["campaign_events"] == sum(p["mongodb"]["campaign_events"] for p in planted[:2])


def test_the_clean_up_plan_is_derived_from_the_owner_plan_and_stays_out_of_lists_checks_and_indexes():
    campaign, cleanup = get_plan("campaign"), get_plan("campaign-orphans")
    owner_keyed = [(step.name, item.entity) for step, item in campaign.all_items() if orphans.sweepable(item)]

    assert [(step.name, item.entity) for step, item in cleanup.all_items()] == owner_keyed
    assert ("mongodb", "campaigns") not in owner_keyed  # the home record itself is never an orphan
    assert cleanup.target.find("campaign").label == "Orphaned campaign data"
    assert cleanup.listing is None and cleanup.coverage is None
    assert "campaign-orphans" not in kinds()
    assert orphans.orphan_kinds() == ["campaign", "tenant"]
    assert [phase.name for phase in get_plan("tenant-orphans").deletion_phases] == ["services", "registry"]
    assert all(need in indexes.needs() for _, item in cleanup.all_items() for need in item.indexes())


@pytest.fixture
def guild_kind(settings):
    settings.DELETION_PLANS = {**settings.DELETION_PLANS, "guild": "tests.kinds.guild.GUILD_PLAN"}
    with target_sql.connect() as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {DUES_TABLE} (guild_id text NOT NULL, amount integer)")
    yield
    with target_sql.connect() as conn:
        conn.execute(f"DROP TABLE {DUES_TABLE}")


@pytest.mark.usefixtures("guild_kind")
def test_a_kind_declared_only_in_the_settings_gets_its_orphans_found_too():
    mongo.database()["guild_members"].insert_many([{"guild_id": "gone-guild"} for _ in range(3)])

    found = find("guild")

    assert get_plan("guild-orphans").step_names[2:-2] == ("documents", "graph", "ledger")
    assert found.owners == ["gone-guild"] and found.counts["documents"] == {"members": 3}


def test_the_clean_up_skips_an_owner_that_exists_again_and_deletes_only_what_is_orphaned(rng):
    seed_neighbours(rng)
    back = create_campaign(CampaignSpec(name="Back", players=PLAYERS[:2]), rng)
    before = dumps.all_stores()
    orphaned_campaign(rng, "Gone")
    campaigns = mongo.database()["campaigns"]
    back_document = campaigns.find_one({"_id": mongo.key_candidates(back.id)[0]})
    campaigns.delete_one({"_id": back_document["_id"]})
    plan = get_plan("campaign-orphans")
    job = DeletionJob.objects.create(kind=plan.kind, target_id="campaign", target_facts={"ref": "campaign"})
    owners = find("campaign").owners
    CollectedId.objects.bulk_create(CollectedId(job=job, entity=orphans.OWNERS, value=ref) for ref in owners)
    # Written again after the sweep, as a campaign still being created writes its document last.
    campaigns.insert_one(back_document)

    scope = JobScope(job, plan)
    for _, item in plan.all_items():
        position = None
        while (batch := item.delete_batch(scope, position, 7, 0)).resume_at is not None:
            position = batch.resume_at

    assert back.id in owners and len(owners) == 2
    assert [item.count(scope) for _, item in plan.all_items()] == [0] * len(list(plan.all_items()))
    assert dumps.all_stores() == before  # "Gone" entirely, "Back" and every neighbour untouched


@pytest.mark.long
def test_many_orphaned_owners_are_counted_in_one_pass_and_cleaned_batch_after_batch(rng):
    seed_neighbours(rng)
    before = dumps.all_stores()
    refs = [f"ghost-{n:03d}" for n in range(orphans.OWNERS_PER_BATCH + 30)]  # more than one batch of owners
    mongo.database()["campaign_events"].insert_many([{"campaign_id": ref, "n": n} for ref in refs for n in range(2)])
    graph.write_value("UNWIND $refs AS ref CREATE (:Scene {id: ref + '-s', campaign_id: ref})", refs=refs)
    plan = get_plan("campaign-orphans")
    job = DeletionJob.objects.create(kind=plan.kind, target_id="campaign", target_facts={"ref": "campaign"})
    CollectedId.objects.bulk_create(
        CollectedId(job=job, entity=orphans.OWNERS, value=ref) for ref in find("campaign", limit=1000).owners
    )
    scope = JobScope(job, plan)
    counted = {item.entity: item.count(scope) for _, item in plan.all_items()}

    for _, item in plan.all_items():
        position = None
        while (batch := item.delete_batch(scope, position, 25, 0)).resume_at is not None:
            position = batch.resume_at

    assert counted["campaign_events"] == 2 * len(refs) and counted["Scene"] == len(refs)
    assert sum(counted.values()) == 3 * len(refs)
    assert [item.count(scope) for _, item in plan.all_items()] == [0] * len(counted)
    assert dumps.all_stores() == before


def test_a_clean_up_is_checked_against_the_live_schema_as_its_owner_plan_is():
    campaign = get_plan("campaign")
    attendance, sessions, membership = campaign.items("postgres")
    misordered = dataclasses.replace(
        campaign, steps=(*campaign.steps[:2], Step("postgres", "PostgreSQL", (sessions, attendance, membership)))
    )

    assert plan_checks.blocking_problems(get_plan("campaign-orphans")) == []
    assert "session_attendance_session_id_fkey" in plan_checks.blocking_problems(orphan_plan(misordered))[0]

"""A fourth store, declared only in tests.stores_fourth: plan checks, ensure_indexes and the
deletion certificate handle its plan items with no change to any of them."""

import pytest
from bson import ObjectId

from deletion_console.certificates.queries import residue_query
from deletion_console.engine.plan import get_plan
from deletion_console.engine.scope import LiveScope
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.selectors import plan_checks
from deletion_console.selectors.certificates import certificate_body
from deletion_console.services import execution
from deletion_console.services.indexes import ensure_indexes
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from deletion_console.stores.registry import label
from tests.factories import request_deletion
from tests.stores_fourth import settings as fourth_settings
from tests.stores_fourth import store

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fourth_store")]


@pytest.fixture
def fourth_store(clean_stores, settings):
    """The settings of tests.stores_fourth.settings, and the store's table, empty."""
    settings.KV_STORE_URL = fourth_settings.KV_STORE_URL
    settings.DELETION_STORES = fourth_settings.DELETION_STORES
    settings.DELETION_PLANS = fourth_settings.DELETION_PLANS
    store.drop()
    store.create()
    plan_checks.forget()
    yield
    plan_checks.forget()
    store.drop()


@pytest.fixture
def no_coverage_cache(settings):
    settings.DELETION_COVERAGE_CACHE_SECONDS = 0


def seed_club(title: str, badges: int, scores: int) -> str:
    club_id = ObjectId()
    mongo.database()["clubs"].insert_one({"_id": club_id, "title": title})
    ref = str(club_id)
    store.put("club_badges", {f"{ref}-b{n}": {"club_id": ref, "n": n} for n in range(badges)})
    store.put("club_scores", {f"{ref}-s{n}": {"club_id": ref, "points": n} for n in range(scores)})
    return ref


def kv_states(states) -> dict[str, str]:
    return {state.index: state.state for state in states if state.store == "Key-value store"}


def test_the_store_is_declared_by_the_settings_alone():
    assert label("kv") == "Key-value store"
    assert get_plan("club").stores() == ["kv", "mongodb"]


def test_plan_checks_ask_the_fourth_store_what_it_holds(no_coverage_cache):
    seed_club("Chess", badges=2, scores=0)

    report = plan_checks.check_plan(get_plan("club"))

    assert report.errors == [] and report.uncovered == []
    assert report.warnings == ["bucket club_scores holds no entry (nothing to delete there yet)"]


def test_a_bucket_holding_the_owner_field_that_no_item_covers_is_found_and_counted(no_coverage_cache):
    target = seed_club("Chess", badges=1, scores=1)
    store.put("club_notes", {"n1": {"club_id": target}, "n2": {"club_id": target}, "n3": {"club_id": "other"}})

    uncovered = plan_checks.check_plan(get_plan("club")).uncovered
    left = preview("club", target).left_behind

    assert [(c.store, c.name) for c in uncovered] == [("kv", "club_notes")]
    assert [(gap.store, gap.container, gap.count) for gap in left] == [("kv", "club_notes", 2)]


def test_ensure_indexes_makes_the_fourth_stores_indexes_once():
    created, again = kv_states(ensure_indexes()), kv_states(ensure_indexes())

    assert created == {
        "club_badges (value->>'club_id')": "created",
        "club_scores (value->>'club_id')": "created",
    }
    assert set(again.values()) == {"present"}
    with store.connect() as conn:
        conn.execute("SET enable_seqscan = off")  # a tiny table would rather scan: ask what is possible
        plan = conn.execute(
            "EXPLAIN SELECT count(*) FROM kv.entries WHERE bucket = 'club_badges' AND value->>'club_id' = 'x'"
        ).fetchall()
    assert "Index" in " ".join(row[0] for row in plan)


def test_the_certificate_states_the_queries_the_fourth_store_ran():
    neighbour = seed_club("Neighbours", badges=2, scores=2)
    target = seed_club("Chess", badges=3, scores=2)
    plan = get_plan("club")
    scope = LiveScope(plan, target)
    before = {
        item.entity: (store.scalar(residue_query(item, ref=scope.ref, keys=scope.keys).queries[0]), item.count(scope))
        for item in plan.items("entries")
    }
    job = request_deletion("club", target)  # not committed: no worker runs it

    for step in plan.step_names:
        assert execution.run_step(job.pk, step) == execution.Outcome.NEXT, step

    job = DeletionJob.objects.get(pk=job.pk)
    assert job.status == JobStatus.SUCCEEDED and job.total_deleted == 6
    assert before == {"badges": (3, 3), "scores": (2, 2)}
    verification = [row for row in certificate_body(job)["verification"] if row["store"] == "kv"]
    assert [(row["entity"], row["language"], row["residue"]) for row in verification] == [
        ("badges", "SQL", 0),
        ("scores", "SQL", 0),
    ]
    assert all(f"'{target}'" in row["queries"][0] for row in verification)
    assert [store.scalar(row["queries"][0]) for row in verification] == [0, 0]
    assert store.scalar("SELECT count(*) FROM kv.entries WHERE value->>'club_id' = %s", [neighbour]) == 4

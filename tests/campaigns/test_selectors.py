import pytest
from bson import ObjectId
from django.conf import settings

from campaigns import selectors
from campaigns.seeding import CampaignSpec, create_campaigns
from campaigns.selectors import campaign_page, find_by_id
from deletion_console.models import JobStatus
from deletion_console.stores import mongo
from tests.factories import DeletionJobFactory, failed_job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def _campaigns():
    return mongo.database(settings.MONGODB_DB)["campaigns"]


def _seed(rng, *specs):
    return create_campaigns([CampaignSpec(name=s, events=0, children=0, sessions=0) for s in specs], rng)


def test_lists_campaigns_with_the_fields_the_page_shows(rng):
    (seeded,) = create_campaigns([CampaignSpec(name="Dragon Keep", owner_id="owner-7", events=0)], rng)

    page = campaign_page()

    assert [(r.id, r.name, r.owner_id, r.is_new_format, r.status) for r in page.rows] == [
        (seeded.id, "Dragon Keep", "owner-7", True, "active")
    ]
    assert page.rows[0].created_at is not None
    assert not page.has_next and not page.has_previous


def test_pages_hold_page_size_campaigns_and_say_whether_more_follow(rng, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    _seed(rng, "a", "b", "c", "d", "e")

    first = campaign_page()
    second = campaign_page(after=first.next_cursor)
    third = campaign_page(after=second.next_cursor)

    assert [len(p.rows) for p in (first, second, third)] == [2, 2, 1]
    assert [p.has_next for p in (first, second, third)] == [True, True, False]
    assert [p.has_previous for p in (first, second, third)] == [False, True, True]
    assert sorted(r.name for p in (first, second, third) for r in p.rows) == ["a", "b", "c", "d", "e"]


def test_walking_forward_then_back_over_both_key_types_shows_every_campaign_once_in_id_order(monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    keys = [ObjectId() for _ in range(4)] + [f"legacy-{n}" for n in range(4)]
    _campaigns().insert_many([{"_id": key, "name": f"C {n}", "status": "active"} for n, key in enumerate(keys)])

    forward = [campaign_page()]
    while forward[-1].has_next:
        forward.append(campaign_page(after=forward[-1].next_cursor))
    backward = [forward[-1]]
    while backward[-1].has_previous:
        backward.append(campaign_page(before=backward[-1].previous_cursor))

    shown = [row.key for page in forward for row in page.rows]
    assert shown == sorted(keys, key=lambda k: (isinstance(k, ObjectId), k))  # strings first, as BSON sorts
    assert [[r.key for r in p.rows] for p in reversed(backward)] == [[r.key for r in p.rows] for p in forward]


def test_a_tampered_cursor_shows_the_first_page(rng):
    _seed(rng, "a")

    assert [r.name for r in campaign_page(after="o-not-an-id").rows] == ["a"]


def test_search_matches_the_start_of_a_name_whatever_its_case(rng):
    _seed(rng, "The Sunken Crypt", "Crypt of Ash", "crypts below", "Market Day")

    page = campaign_page(query="crypt")

    assert sorted(r.name for r in page.rows) == ["Crypt of Ash", "crypts below"]
    assert not page.matched_id


def test_search_treats_regex_characters_literally(rng):
    _seed(rng, "Cost (v2) + more.", "Cost v2 more")

    assert [r.name for r in campaign_page(query="Cost (v2) +").rows] == ["Cost (v2) + more."]
    assert [r.name for r in campaign_page(query="Cost .").rows] == []  # as a pattern it would match both


@pytest.mark.parametrize("string_id", [False, True], ids=["objectid", "legacy-string-id"])
def test_search_by_exact_id_finds_either_kind_of_key(rng, string_id):
    seeded = create_campaigns([CampaignSpec(name="Keyed", string_id=string_id, new_format=not string_id)], rng)[0]
    _seed(rng, "Other")

    page = campaign_page(query=f"  {seeded.id} ")

    assert page.matched_id
    assert [r.id for r in page.rows] == [seeded.id]
    assert page.rows[0].is_new_format is (not string_id)


def test_an_id_like_query_that_is_no_id_searches_names(rng):
    _seed(rng, "Ordinary")
    missing = str(ObjectId())

    page = campaign_page(query=missing)

    assert page.rows == [] and not page.matched_id


def test_find_by_id_returns_none_for_unknown_ids():
    assert find_by_id("nope") is None
    assert find_by_id(str(ObjectId())) is None


def test_campaigns_being_deleted_carry_their_job(rng):
    running, failed, calm = _seed(rng, "Running", "Failed", "Calm")
    _campaigns().update_many(
        {"_id": {"$in": [ObjectId(running.id), ObjectId(failed.id)]}}, {"$set": {"status": "deleting"}}
    )
    active = DeletionJobFactory(target_id=running.id, status=JobStatus.RUNNING)
    ended = failed_job(target_id=failed.id)

    rows = {r.name: r for r in campaign_page().rows}

    assert rows["Running"].is_deleting and rows["Running"].job == active
    assert rows["Failed"].is_deleting and rows["Failed"].job == ended
    assert not rows["Calm"].is_deleting and rows["Calm"].job is None


def test_ten_thousand_campaigns_page_by_cursor_and_an_id_search_finds_the_last():
    docs = [
        {"_id": ObjectId(), "name": f"Bulk {n:05d}", "owner_id": "owner-1", "is_new_format": True, "status": "active"}
        for n in range(10_000)
    ]
    _campaigns().insert_many(docs, ordered=False)
    ordered = sorted(d["_id"] for d in docs)

    first = campaign_page()
    deep = campaign_page(after=selectors.cursor_of(ordered[9_000]))
    found = campaign_page(query=str(docs[9_999]["_id"]))

    assert [r.key for r in first.rows] == ordered[: selectors.PAGE_SIZE] and first.has_next
    assert [r.key for r in deep.rows] == ordered[9_001 : 9_001 + selectors.PAGE_SIZE]
    assert [r.name for r in found.rows] == ["Bulk 09999"]

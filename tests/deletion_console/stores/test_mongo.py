"""The MongoDB primitives against the bundled store's limits, on the real server."""

import pytest
from pymongo.errors import OperationFailure

from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.orphans import OwnerScope
from deletion_console.stores import errors, mongo

pytestmark = pytest.mark.usefixtures("clean_stores")

ONE_STATEMENT = 65_535  # FerretDB binds every matched _id of a delete into one PostgreSQL statement


@pytest.fixture
def just_past_one_statement():
    """One owner's documents, one more than a single delete statement can take, and a neighbour's."""
    collection = mongo.database()["campaign_events"]
    collection.insert_many([{"campaign_id": "big", "n": n} for n in range(ONE_STATEMENT + 1)])
    collection.insert_many([{"campaign_id": "neighbour", "n": n} for n in range(100)])
    return collection


def test_the_bundled_store_refuses_one_delete_past_65535_matches_and_deletes_nothing(just_past_one_statement):
    with pytest.raises(OperationFailure) as refused:
        just_past_one_statement.delete_many({"campaign_id": "big"})

    assert errors.is_too_many_matches(refused.value)
    assert just_past_one_statement.count_documents({"campaign_id": "big"}) == ONE_STATEMENT + 1


@pytest.mark.long  # 65,536 exact-key deletes: half a minute on FerretDB
def test_deleting_past_one_statement_goes_in_slices_within_the_limit_and_spares_the_neighbour(just_past_one_statement):
    events = MongoDocs("campaign_events", "campaign_events", field="campaign_id")
    intents = []
    scope = OwnerScope("big", intents.append)

    # A stale hint said it would fit: the whole delete is refused, and this batch goes key by key.
    batch = events.delete_batch(scope, None, 5_000, 10)
    deleted = [batch.deleted]
    while batch.resume_at is not None:
        batch = events.delete_batch(scope, batch.resume_at, 5_000, 0)
        deleted.append(batch.deleted)

    assert sum(deleted) == ONE_STATEMENT + 1
    assert max(deleted) <= 5_000
    # Each batch said what it sent before it went, for one interrupted to be settled.
    assert intents[0]["whole"] == 10
    assert [len(sent["keys"]) for sent in intents[1:]] == [n for n in deleted if n]
    assert just_past_one_statement.count_documents({"campaign_id": "big"}) == 0
    assert just_past_one_statement.count_documents({"campaign_id": "neighbour"}) == 100

"""The MongoDB primitives against the bundled store's limits, on the real server."""

import pytest
from django.conf import settings
from pymongo.errors import OperationFailure

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


def test_deleting_past_one_statement_goes_in_slices_within_the_limit_and_spares_the_neighbour(just_past_one_statement):
    def delete_some(whole):
        return mongo.delete_some(settings.MONGODB_DB, "campaign_events", {"campaign_id": "big"}, 5_000, whole)

    # A stale hint said it would fit: the whole delete is refused, and this batch goes key by key.
    first, finished, refused = delete_some(whole=True)
    deleted = [first]
    while not finished:
        n, finished, _ = delete_some(whole=False)
        deleted.append(n)

    assert refused and not deleted[0] > 5_000
    assert sum(deleted) == ONE_STATEMENT + 1
    assert max(deleted) <= 5_000
    assert just_past_one_statement.count_documents({"campaign_id": "big"}) == 0
    assert just_past_one_statement.count_documents({"campaign_id": "neighbour"}) == 100

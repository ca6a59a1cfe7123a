"""Graph batches say what they send before they send it, on the real Neo4j: a batch whose reply
was lost is settled by its elements' ids, so it is counted once, whatever the driver retried."""

import pytest

from deletion_console.engine.graph import GraphNodes, GraphRelationships
from deletion_console.engine.orphans import OwnerScope
from deletion_console.stores import graph

pytestmark = pytest.mark.usefixtures("clean_stores")


@pytest.fixture
def owned_graph():
    graph.write_value(
        "CREATE (c:Campaign {id: 'c-1'}), (:Campaign {id: 'c-2'}) "
        "WITH c UNWIND range(1, 5) AS i "
        "CREATE (:Item {campaign_id: 'c-1', id: 'item-' + i}), (:Player {id: 'p-' + i})-[:PLAYS_IN]->(c) "
        "RETURN count(*)"
    )
    graph.write_value("CREATE (:Item {campaign_id: 'c-2', id: 'theirs'}) RETURN count(*)")


def test_a_node_batch_names_its_nodes_before_deleting_them_and_settling_counts_the_gone_once(owned_graph):
    items = GraphNodes("Item", "Item", owner_property="campaign_id")
    sent = []
    scope = OwnerScope("c-1", sent.append)

    batch = items.delete_batch(scope, None, 3, 5)

    assert (batch.deleted, batch.resume_at) == (3, {"owned": True})
    [intent] = sent
    assert len(intent["elements"]) == 3
    # As the next chunk does when the reply was lost: the three are gone, and counted.
    assert items.settle(scope, intent) == 3
    # A batch that never reached the server: its nodes are all still there.
    left = graph.read_value("MATCH (n:Item {campaign_id: 'c-1'}) RETURN collect(elementId(n))")
    assert items.settle(scope, {"elements": left}) == 0
    assert graph.read_value("MATCH (n:Item {campaign_id: 'c-2'}) RETURN count(n)") == 1


def test_a_relationship_batch_is_settled_by_its_relationships_ids(owned_graph):
    plays_in = GraphRelationships(
        "PLAYS_IN", "(:Player)-[r:PLAYS_IN]->(:Campaign {id: $ref})", anchor=("Campaign", "id")
    )
    sent = []
    scope = OwnerScope("c-1", sent.append)

    deleted = [plays_in.delete_batch(scope, None, 2, 5).deleted for _ in range(3)]

    assert deleted == [2, 2, 1]
    assert [plays_in.settle(scope, intent) for intent in sent] == [2, 2, 1]
    assert graph.read_value("MATCH (:Player) RETURN count(*)") == 5

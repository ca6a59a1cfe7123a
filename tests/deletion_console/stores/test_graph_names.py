"""Labels, properties and index names reach Cypher through one quoting helper, so a name with a
backtick, a space or a quote selects exactly its own nodes and never changes the query."""

import pytest

from deletion_console.engine.graph import GraphNodes
from deletion_console.engine.orphans import OwnerScope
from deletion_console.stores import graph
from deletion_console.stores.inspection import IndexNeed

pytestmark = pytest.mark.usefixtures("clean_stores")

ODD_LABEL = "Odd` Label) DETACH DELETE (m"
ODD_PROPERTY = "owner`id"


def test_the_helper_backticks_and_doubles_inner_backticks():
    assert graph.name("Campaign") == "`Campaign`"
    assert graph.name("a`b") == "`a``b`"
    assert graph.name("x` RETURN 1 //") == "`x`` RETURN 1 //`"


@pytest.fixture
def odd_nodes():
    label, prop = graph.name(ODD_LABEL), graph.name(ODD_PROPERTY)
    graph.write_value(f"UNWIND range(1, 3) AS i CREATE (:{label} {{{prop}: 'owner-1'}}) RETURN count(*)")
    graph.write_value(f"CREATE (:{label} {{{prop}: 'owner-2'}}) RETURN count(*)")
    graph.write_value("CREATE (:Bystander {name: 'stays'}) RETURN count(*)")
    yield
    graph.write_value(f"MATCH (n:{label}) DETACH DELETE n RETURN count(*)")
    graph.write_value("MATCH (n:Bystander) DETACH DELETE n RETURN count(*)")


def test_a_plan_item_with_odd_names_counts_lists_owners_and_deletes_only_its_own_nodes(odd_nodes):
    item = GraphNodes(entity="odd", label=ODD_LABEL, owner_property=ODD_PROPERTY)

    owners = dict(item.owners())
    deleted = item.delete_batch(OwnerScope("owner-1"), None, 100, 3)

    assert owners == {"owner-1": 3, "owner-2": 1}
    assert deleted.deleted == 3
    assert dict(item.owners()) == {"owner-2": 1}
    assert graph.read_value("MATCH (n:Bystander) RETURN count(n)") == 1


def test_an_index_on_odd_names_is_created_and_then_found_present(odd_nodes):
    need = IndexNeed("neo4j", ODD_LABEL, ODD_PROPERTY)
    try:
        first = graph.STORE.inspector.ensure_indexes([need], apply=True)
        again = graph.STORE.inspector.ensure_indexes([need], apply=True)
    finally:
        graph.write_value(f"DROP INDEX {graph.name(graph._index_statement(need)[0])} IF EXISTS")

    assert [s.state for s in first] == ["created"] and [s.state for s in again] == ["present"]

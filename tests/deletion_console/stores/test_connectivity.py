"""Each store answers through the connection helpers in deletion_console.stores."""

import pytest
from bson import ObjectId

from deletion_console.stores import graph, mongo, sql

pytestmark = pytest.mark.usefixtures("clean_stores")


def test_a_document_written_through_pymongo_reads_back():
    key = ObjectId()
    mongo.database()["connectivity"].insert_one({"_id": key, "probe": "mongo"})

    assert mongo.database()["connectivity"].find_one({"_id": key}) == {"_id": key, "probe": "mongo"}
    assert mongo.count(mongo.database().name, "connectivity", {"probe": "mongo"}) == 1


def test_a_node_created_with_cypher_reads_back():
    graph.write_value("CREATE (:ConnectivityProbe {id: $id, name: 'neo4j'})", id="probe-1")

    assert graph.read_value("MATCH (n:ConnectivityProbe {id: $id}) RETURN n.name", id="probe-1") == "neo4j"


def test_a_row_inserted_through_psycopg_reads_back():
    with sql.connect() as conn:
        conn.execute("INSERT INTO players (id, display_name) VALUES (%s, %s)", ("probe-1", "Probe"))

    assert sql.scalar("SELECT display_name FROM players WHERE id = %(id)s", {"id": "probe-1"}) == "Probe"

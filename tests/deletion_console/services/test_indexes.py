"""ensure_indexes on the real stores: derived from the plans, idempotent, and usable by FerretDB."""

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

from deletion_console.engine.plan import IndexNeed, get_plan, index_needs
from deletion_console.services.indexes import ensure_indexes
from deletion_console.stores import ferretdb, mongo
from deletion_console.stores import sql as target_sql

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def test_the_indexes_come_from_the_plan_declarations():
    needs = index_needs(get_plan("campaign"))

    assert IndexNeed("mongodb", "campaign_events", "campaign_id", "MONGODB_DB") in needs
    assert IndexNeed("mongodb", "campaign_events", "_id", "MONGODB_DB") in needs
    assert IndexNeed("neo4j", "Quest", "campaign_id") in needs
    assert IndexNeed("neo4j", "Campaign", "id") in needs  # the PLAYS_IN pattern's anchor
    assert IndexNeed("postgres", "session_attendance", "session_id") in needs


def test_a_second_run_finds_every_index_present_and_creates_nothing():
    ensure_indexes()

    again = ensure_indexes()

    assert again and {state.state for state in again} == {"present"}


def test_ferretdb_can_answer_its_pushed_down_owner_equality_from_the_index():
    ensure_indexes()
    table = _ferretdb_table(settings.MONGODB_DB, "campaign_events")

    with psycopg.connect(settings.FERRETDB_POSTGRESQL_URL) as conn:
        conn.execute("SET enable_seqscan = off")  # a tiny table would rather scan: ask what is possible
        plan = conn.execute(
            f"""EXPLAIN SELECT _jsonb FROM game."{table}" WHERE _jsonb->'campaign_id' @> '"x"'"""
        ).fetchall()

    assert "Bitmap Index Scan" in " ".join(row[0] for row in plan)


def test_a_missing_target_index_is_reported_and_created_only_with_apply(capsys):
    with target_sql.connect() as conn:
        conn.execute("DROP INDEX IF EXISTS player_campaigns_campaign_id")
    try:
        call_command("ensure_indexes")
        reported = capsys.readouterr().out
        call_command("ensure_indexes", "--apply")
        applied = capsys.readouterr().out
        call_command("ensure_indexes")
        after = capsys.readouterr().out
    finally:
        with target_sql.connect() as conn:
            conn.execute("DROP INDEX IF EXISTS player_campaigns_campaign_id_deletion")
            conn.execute("CREATE INDEX IF NOT EXISTS player_campaigns_campaign_id ON player_campaigns (campaign_id)")

    assert _state_of("player_campaigns (campaign_id)", reported) == "missing"
    assert "--apply" in reported
    assert _state_of("player_campaigns (campaign_id)", applied) == "created"
    assert _state_of("player_campaigns (campaign_id)", after) == "present"


def _state_of(index: str, output: str) -> str:
    line = next(line for line in output.splitlines() if index in line)
    return line.split()[-1]


def _ferretdb_table(database: str, collection: str) -> str:
    assert ferretdb.enabled(), "the test stack's FerretDB runs on PostgreSQL"
    mongo.database(database)[collection].insert_one({"campaign_id": "x"})
    with psycopg.connect(settings.FERRETDB_POSTGRESQL_URL) as conn:
        return ferretdb.table_of(conn, database, collection)

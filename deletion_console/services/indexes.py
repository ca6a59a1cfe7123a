"""The indexes deletion relies on, derived from the plan declarations and made to exist.

MongoDB: a portable createIndexes per field a plan looks documents up by (a real MongoDB uses
them; `_id` is always indexed there). FerretDB on PostgreSQL: also the GIN index its pushed-down
equality can use, per such field and `_id`. Neo4j: a range index per (label, property). The
target PostgreSQL is someone else's database: missing indexes on the columns a plan filters on
are reported, and created only when asked to.
"""

from dataclasses import dataclass

from django.conf import settings
from psycopg import sql

from deletion_console.engine.plan import IndexNeed, get_plan, index_needs, kinds
from deletion_console.stores import ferretdb, graph, mongo
from deletion_console.stores import sql as target_sql

# Index creation returns before the index is populated; queries meanwhile fall back to scans.
GRAPH_INDEX_WAIT_SECONDS = 60


@dataclass(frozen=True)
class IndexState:
    store: str
    index: str
    state: str  # "created", "present", "missing" (target PostgreSQL without --apply), "no table yet"


def needs(extra: tuple[IndexNeed, ...] = ()) -> list[IndexNeed]:
    return list(dict.fromkeys([*(need for kind in kinds() for need in index_needs(get_plan(kind))), *extra]))


def ensure_indexes(*, apply_target: bool = False, extra: tuple[IndexNeed, ...] = ()) -> list[IndexState]:
    wanted = needs(extra)
    by_store = {store: [n for n in wanted if n.store == store] for store in ("mongodb", "neo4j", "postgres")}
    return [
        *_ensure_mongo(by_store["mongodb"]),
        *_ensure_graph(by_store["neo4j"]),
        *_ensure_target(by_store["postgres"], apply=apply_target),
    ]


def _ensure_mongo(wanted: list[IndexNeed]) -> list[IndexState]:
    states = []
    for need in wanted:
        database = getattr(settings, need.database or "MONGODB_DB")
        label = f"{database}.{need.container} {{{need.field}: 1}}"
        if need.field != "_id":
            collection = mongo.database(database)[need.container]
            existing = {tuple(spec["key"].items()) for spec in collection.list_indexes()}
            created = ((need.field, 1),) not in existing
            collection.create_index([(need.field, 1)])  # a no-op when it exists
            states.append(IndexState("MongoDB", label, "created" if created else "present"))
        if ferretdb.enabled():
            states.append(_ensure_ferretdb(database, need))
    if wanted and ferretdb.enabled() and ferretdb.ensure_custom_plans():
        states.append(IndexState("FerretDB", "plan_cache_mode = force_custom_plan", "created"))
    return states


def _ensure_ferretdb(database: str, need: IndexNeed) -> IndexState:
    label = f"{database}.{need.container} GIN (_jsonb->'{need.field}') jsonb_path_ops"
    created = ferretdb.ensure_gin_index(database, need.container, need.field)
    if created is None:
        # FerretDB creates the table with the collection: make it, empty, so the index can exist.
        mongo.database(database).create_collection(need.container, check_exists=False)
        created = ferretdb.ensure_gin_index(database, need.container, need.field)
    return IndexState("FerretDB", label, "created" if created else "present")


def _graph_statement(need: IndexNeed) -> tuple[str, str]:
    name = f"{need.container.lower()}_{need.field.lower()}"
    return name, f"CREATE INDEX {name} IF NOT EXISTS FOR (n:`{need.container}`) ON (n.`{need.field}`)"


def _ensure_graph(wanted: list[IndexNeed]) -> list[IndexState]:
    existing = graph.index_names()
    states = []
    for need in wanted:
        name, statement = _graph_statement(need)
        if name not in existing:
            graph.write_value(statement)
        states.append(
            IndexState("Neo4j", f":{need.container}({need.field})", "present" if name in existing else "created")
        )
    if any(state.state == "created" for state in states):
        graph.write_value(f"CALL db.awaitIndexes({GRAPH_INDEX_WAIT_SECONDS})")
    return states


def _ensure_target(wanted: list[IndexNeed], *, apply: bool) -> list[IndexState]:
    states = []
    with target_sql.connect() as conn:
        conn.autocommit = True
        for need in wanted:
            label = f"{need.container} ({need.field})"
            present = target_sql.has_index_on(conn, need.container, need.field)
            if present is None:
                states.append(IndexState("PostgreSQL", label, "no table yet"))
            elif present:
                states.append(IndexState("PostgreSQL", label, "present"))
            elif not apply:
                states.append(IndexState("PostgreSQL", label, "missing"))
            else:
                # CONCURRENTLY: the platform keeps writing to its table while the index builds.
                name = f"{need.container.split('.')[-1]}_{need.field}_deletion"[:63]
                conn.execute(
                    sql.SQL("CREATE INDEX CONCURRENTLY IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(name), sql.Identifier(*need.container.split(".")), sql.Identifier(need.field)
                    )
                )
                states.append(IndexState("PostgreSQL", label, "created"))
    return states

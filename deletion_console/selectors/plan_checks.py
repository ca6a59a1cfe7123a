"""A plan checked against the live stores: the order of its SQL deletes against the target
database's foreign keys, the existence of everything it names, and what it does not cover.

Problems that would make a deletion fail half way or miss data by construction block a job
before its first delete (the validate step) and fail `check_plans`: a parent table deleted
before (or beside) a table whose rows reference it without ON DELETE CASCADE; a table or column
the plan names that PostgreSQL does not have. MongoDB and Neo4j have no schema to ask, so a
collection, label or property found nowhere is a warning only.

Coverage: containers whose rows, documents or nodes carry the plan's owner field but that no
plan item deletes (a service forgotten, the failure seed 004 describes). They are found by
looking through every table, collection and label, so the list is kept for a while
(DELETION_COVERAGE_CACHE_SECONDS); the target's own data in them is counted on every preview.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from psycopg import sql
from psycopg.errors import UndefinedTable

from deletion_console.engine.graph import GraphNodes
from deletion_console.engine.mongo import MongoDocs
from deletion_console.engine.plan import Plan
from deletion_console.engine.sql import SqlRows, SqlTarget
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as target_sql
from deletion_console.stores.registry import label as store_label

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


@dataclass(frozen=True)
class Container:
    store: str
    name: str  # schema.table, database.collection or label


@dataclass(frozen=True)
class LeftBehind:
    store: str
    container: str
    count: int

    @property
    def store_label(self) -> str:
        return store_label(self.store)


@dataclass
class Report:
    kind: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncovered: list[Container] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.uncovered


def check_plan(plan: Plan) -> Report:
    report = Report(kind=plan.kind, errors=blocking_problems(plan))
    report.warnings = [*_mongo_warnings(plan), *_graph_warnings(plan)]
    report.uncovered = _find_uncovered(plan)
    _remember(plan, report.uncovered)
    return report


# -- PostgreSQL: the schema is the authority ---------------------------------------------------


def _qualified(table: str) -> str:
    return table if "." in table else f"public.{table}"


def _own(item):
    # An orphan clean-up's item deletes through the owner plan's item it wraps (engine.orphans).
    return getattr(item, "inner", item)


def _sql_positions(plan: Plan) -> list[tuple[str, int, int, str, str]]:
    """(table, phase index, item index within its step, step name, entity) of every SQL delete."""
    positions = []
    for phase_index, phase in enumerate(plan.phases):
        for step in phase.steps:
            for item_index, item in enumerate(map(_own, step.items)):
                if isinstance(item, SqlRows):
                    positions.append((_qualified(item.table), phase_index, item_index, step.name, item.entity))
    return positions


def blocking_problems(plan: Plan) -> list[str]:
    positions = _sql_positions(plan)
    if not positions:
        return []
    with target_sql.connect() as conn:
        problems = _missing_sql(conn, plan)
        if problems:
            return problems  # the foreign keys of tables that are not there cannot be read
        tables = sorted({table for table, *_ in positions})
        keys = conn.execute(_FOREIGN_KEYS, {"tables": tables}).fetchall()
    for name, child, parent in keys:
        for parent_at in (p for p in positions if p[0] == parent):
            for child_at in (p for p in positions if p[0] == child and child != parent):
                if _deleted_after(child_at, parent_at):
                    problems.append(
                        f"{parent_at[3]}.{parent_at[4]} deletes rows of {parent} before {child_at[3]}.{child_at[4]} "
                        f"deletes the rows of {child} that reference them (foreign key {name}, no ON DELETE "
                        f"CASCADE): delete {child} first"
                    )
    return problems


def _deleted_after(child_at: tuple, parent_at: tuple) -> bool:
    """Whether the child's rows may still be there when the parent's go: a later phase, a later
    item of the same step, or a step running beside the parent's (no order between them)."""
    _, child_phase, child_index, child_step, _ = child_at
    _, parent_phase, parent_index, parent_step, _ = parent_at
    if child_phase != parent_phase:
        return child_phase > parent_phase
    return child_step != parent_step or child_index > parent_index


# Foreign keys between the plan's tables whose deletes do not cascade.
_FOREIGN_KEYS = """
SELECT con.conname,
       cn.nspname || '.' || c.relname AS child,
       pn.nspname || '.' || p.relname AS parent
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE con.contype = 'f' AND con.confdeltype <> 'c'
  AND cn.nspname || '.' || c.relname = ANY(%(tables)s)
  AND pn.nspname || '.' || p.relname = ANY(%(tables)s)
ORDER BY con.conname
"""


def _missing_sql(conn, plan: Plan) -> list[str]:
    wanted: dict[str, set[str]] = {}
    for item in (_own(item) for _, item in plan.all_items()):
        if isinstance(item, SqlRows):
            wanted.setdefault(_qualified(item.table), set()).update(c for c in (*item.filters_on, item.owner) if c)
    if isinstance(plan.target, SqlTarget):
        wanted.setdefault(_qualified(plan.target.table), set()).update({"id", plan.target.label_field})
    problems = []
    for table, columns in wanted.items():
        if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is None:
            problems.append(f"table {table}, named by the {plan.kind} plan, does not exist")
            continue
        schema, name = table.split(".", 1)
        present = {
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                [schema, name],
            )
        }
        problems.extend(f"column {table}.{column} does not exist" for column in sorted(columns - present))
    return problems


# -- MongoDB and Neo4j: no schema to ask, so absence is a warning -----------------------------


def _mongo_items(plan: Plan) -> list[MongoDocs]:
    return [item for _, item in plan.all_items() if isinstance(item, MongoDocs)]


def _mongo_warnings(plan: Plan) -> list[str]:
    warnings = []
    for item in _mongo_items(plan):
        database = getattr(settings, item.database)
        if item.collection not in mongo.database(database).list_collection_names():
            warnings.append(f"collection {database}.{item.collection} does not exist (nothing to delete there yet)")
    return warnings


def _graph_warnings(plan: Plan) -> list[str]:
    labels = set(graph.read_value("CALL db.labels() YIELD label RETURN collect(label)") or [])
    keys = set(graph.read_value("CALL db.propertyKeys() YIELD propertyKey RETURN collect(propertyKey)") or [])
    warnings = []
    for _, item in plan.all_items():
        if isinstance(item, GraphNodes):
            if item.label not in labels:
                warnings.append(f"no node carries the label {item.label} (nothing to delete there yet)")
            if item.owner_property and item.owner_property not in keys:
                warnings.append(f"no node has the property {item.owner_property}")
    return warnings


# -- coverage ----------------------------------------------------------------------------------


def _find_uncovered(plan: Plan) -> list[Container]:
    if plan.coverage is None:
        return []
    owner = plan.coverage.field
    return [*_uncovered_tables(plan, owner), *_uncovered_collections(plan, owner), *_uncovered_labels(plan, owner)]


def _uncovered_tables(plan: Plan, owner: str) -> list[Container]:
    covered = {_qualified(item.table) for _, item in plan.all_items() if isinstance(item, SqlRows)}
    with target_sql.connect() as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.column_name = %s AND t.table_type = 'BASE TABLE' AND table_schema <> ALL(%s) ORDER BY 1",
            [owner, list(SYSTEM_SCHEMAS)],
        ).fetchall()
    return [Container("postgres", table) for (table,) in rows if table not in covered]


def _uncovered_collections(plan: Plan, owner: str) -> list[Container]:
    covered = {(getattr(settings, item.database), item.collection) for item in _mongo_items(plan)}
    found = []
    for setting in plan.coverage.mongo_databases:
        database = getattr(settings, setting)
        db = mongo.database(database)
        for collection in sorted(db.list_collection_names()):
            if (database, collection) in covered or collection.startswith("system."):
                continue
            if db[collection].find_one({owner: {"$exists": True}}, {"_id": 1}) is not None:
                found.append(Container("mongodb", f"{database}.{collection}"))
    return found


def _uncovered_labels(plan: Plan, owner: str) -> list[Container]:
    covered = {item.label for _, item in plan.all_items() if isinstance(item, GraphNodes)}
    labels = graph.read_value("CALL db.labels() YIELD label RETURN collect(label)") or []
    found = []
    for label in sorted(set(labels) - covered):
        # Stops at the first node that has it; a label without it is scanned once.
        query = f"MATCH (n:`{label}`) WHERE n.`{owner}` IS NOT NULL WITH n LIMIT 1 RETURN count(n)"
        if graph.read_value(query):
            found.append(Container("neo4j", label))
    return found


_cache: dict[str, tuple[float, list[Container]]] = {}


def _remember(plan: Plan, uncovered: list[Container]) -> None:
    _cache[plan.kind] = (time.monotonic(), uncovered)


def uncovered(plan: Plan) -> list[Container]:
    seen = _cache.get(plan.kind)
    if seen is None or time.monotonic() - seen[0] > settings.DELETION_COVERAGE_CACHE_SECONDS:
        _remember(plan, _find_uncovered(plan))
    return _cache[plan.kind][1]


def forget() -> None:
    """Look for uncovered containers afresh next time (after a schema change)."""
    _cache.clear()


def left_behind(plan: Plan, ref: str) -> list[LeftBehind]:
    """The target's own data in containers no plan item covers: what a deletion would leave."""
    if plan.coverage is None:
        return []
    owner = plan.coverage.field
    found = []
    for container in uncovered(plan):
        try:
            count = _count_owned(container, owner, ref)
        except UndefinedTable:
            # Dropped since it was found (the list is kept for a while): nothing is left there.
            forget()
            continue
        if count:
            found.append(LeftBehind(container.store, container.name, count))
    return found


def _count_owned(container: Container, owner: str, ref: str) -> int:
    if container.store == "postgres":
        query = sql.SQL("SELECT count(*) FROM {} WHERE {} = %(ref)s").format(
            sql.Identifier(*container.name.split(".", 1)), sql.Identifier(owner)
        )
        return target_sql.scalar(query, {"ref": ref})
    if container.store == "mongodb":
        database, collection = container.name.split(".", 1)
        return mongo.count(database, collection, {owner: ref})
    return graph.read_value(f"MATCH (n:`{container.name}`) WHERE n.`{owner}` = $ref RETURN count(n)", ref=ref)

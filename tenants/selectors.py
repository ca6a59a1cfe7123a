"""Reads for the tenant list: the registry `public.tenants` in the target database, plus the
console's own jobs. Keyset pages on the text primary key; search by exact id or name prefix;
each row's size is counted over the tables the tenant plan deletes by owner, one grouped query
per table for the whole page (each served by the plan's tenant_id index)."""

from dataclasses import dataclass

from psycopg import sql

from deletion_console.engine.plan import get_plan
from deletion_console.engine.sql import SqlRows
from deletion_console.models import DeletionJob
from deletion_console.selectors.targets import TargetPage, attach_jobs
from deletion_console.stores import sql as target_sql

KIND = "tenant"
PAGE_SIZE = 50


@dataclass
class TenantRow:
    id: str
    name: str
    created_at: object
    rows: int = 0
    job: DeletionJob | None = None

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def is_deleting(self) -> bool:
        return self.job is not None and self.job.is_active

    @property
    def cells(self) -> dict:
        return {"id": self.id, "created_at": self.created_at, "rows": self.rows}


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def tenant_page(*, query: str = "", after: str = "", before: str = "") -> TargetPage:
    query = query.strip()
    plan = get_plan(KIND)
    table = sql.Identifier(*plan.target.table.split("."))
    with target_sql.connect() as conn:
        if query:
            exact = conn.execute(
                sql.SQL("SELECT id, name, created_at FROM {} WHERE id = %s").format(table), [query]
            ).fetchone()
            if exact:
                return _finish(
                    conn, plan, TargetPage(rows=[TenantRow(*exact)], has_next=False, query=query, matched_id=True)
                )
        backwards = bool(before) and not after
        conditions, params = [], []
        if query:
            conditions.append(sql.SQL("name ILIKE %s"))
            params.append(_like_prefix(query))
        if after or before:
            conditions.append(sql.SQL("id < %s" if backwards else "id > %s"))
            params.append(before if backwards else after)
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        statement = sql.SQL("SELECT id, name, created_at FROM {}{} ORDER BY id {} LIMIT %s").format(
            table, where, sql.SQL("DESC" if backwards else "ASC")
        )
        found = conn.execute(statement, [*params, PAGE_SIZE + 1]).fetchall()
        more = len(found) > PAGE_SIZE
        rows = [TenantRow(*row) for row in found[:PAGE_SIZE]]
        if backwards:
            rows.reverse()
        page = TargetPage(
            rows=rows,
            has_next=True if backwards else more,
            has_previous=more if backwards else bool(after),
            query=query,
            next_cursor=rows[-1].id if rows else "",
            previous_cursor=rows[0].id if rows else "",
        )
        return _finish(conn, plan, page)


def _finish(conn, plan, page: TargetPage) -> TargetPage:
    ids = [row.id for row in page.rows]
    totals = dict.fromkeys(ids, 0)
    if ids:
        for _, item in plan.all_items():
            if isinstance(item, SqlRows) and item.owner:
                statement = sql.SQL("SELECT {owner}, count(*) FROM {table} WHERE {owner} = ANY(%s) GROUP BY 1").format(
                    owner=sql.Identifier(item.owner), table=sql.Identifier(*item.table.split("."))
                )
                for tenant_id, n in conn.execute(statement, [ids]):
                    totals[tenant_id] += n
    for row in page.rows:
        row.rows = totals[row.id]
    attach_jobs(KIND, page.rows)
    return page

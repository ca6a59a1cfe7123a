"""Indexes for seeding: those the plans need, plus `id` on every label a kind's seeder links by
(its relationship MATCHes look nodes up by id, shared ones included; the seeder module's
LINKS_BY_ID). Idempotent."""

from deletion_console.devtools import kind_seeders
from deletion_console.engine.plan import IndexNeed
from deletion_console.services import indexes


def seeder_links_by_id() -> tuple[str, ...]:
    return tuple(dict.fromkeys(label for seeder in kind_seeders().values() for label in seeder.LINKS_BY_ID))


def ensure_indexes() -> None:
    indexes.ensure_indexes(extra=tuple(IndexNeed("neo4j", label, "id") for label in seeder_links_by_id()))

"""Indexes for seeding: those the plans need, plus `id` on every label the seeder links by
(its relationship MATCHes look nodes up by id, shared ones included). Idempotent."""

from deletion_console.engine.plan import IndexNeed
from deletion_console.services import indexes

SEEDER_LINKS_BY_ID = ("Campaign", "Quest", "Place", "Scene", "NPC", "Item", "Player")
SEEDER_LINKS_BY_ID += ("Tenant", "Location", "Product", "Supplier")


def ensure_indexes() -> None:
    indexes.ensure_indexes(extra=tuple(IndexNeed("neo4j", label, "id") for label in SEEDER_LINKS_BY_ID))

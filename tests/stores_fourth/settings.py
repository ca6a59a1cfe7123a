"""The console's settings with a fourth store, and a kind of target that deletes from it."""

from deletion_console.config.settings import *  # noqa: F403

# The test stack's target PostgreSQL holds the store's one table, in a schema of its own.
KV_STORE_URL = TARGET_DATABASE_URL  # noqa: F405
DELETION_STORES = [*DELETION_STORES, "tests.stores_fourth.store.STORE"]  # noqa: F405
DELETION_PLANS = {**DELETION_PLANS, "club": "tests.stores_fourth.club.CLUB_PLAN"}  # noqa: F405

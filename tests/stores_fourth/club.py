"""A kind whose data is mostly in the fourth store: a club, its document in MongoDB and its
badges and scores as key-value entries."""

from deletion_console.engine.mongo import MongoDocs, MongoTarget
from deletion_console.engine.plan import Coverage, Plan, Step
from tests.stores_fourth.items import Entries

CLUB_PLAN = Plan(
    kind="club",
    noun="club",
    plural="clubs",
    target=MongoTarget(collection="clubs", label_field="title"),
    steps=(
        Step(
            "entries",
            "Key-value entries",
            (Entries("badges", "club_badges", "club_id"), Entries("scores", "club_scores", "club_id")),
        ),
        Step("documents", "Documents", (MongoDocs("clubs", "clubs", match_target=True),)),
    ),
    coverage=Coverage(field="club_id"),
)

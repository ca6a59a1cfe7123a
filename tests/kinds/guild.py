"""A third kind of target, declared only here: guilds, with documents, nodes and rows.

Nothing in the engine, the views or the templates knows about it; the settings in
tests.kinds.settings (and the tests' own settings override) add it to DELETION_PLANS.
"""

from deletion_console.engine.graph import GraphNodes
from deletion_console.engine.mongo import CollectIds, MongoDocs, MongoTarget
from deletion_console.engine.plan import Column, Coverage, Listing, Plan, Step
from deletion_console.engine.sql import SqlRows
from deletion_console.selectors.targets import TargetPage, attach_jobs
from deletion_console.stores import mongo

DUES_TABLE = "public.guild_dues"

GUILD_PLAN = Plan(
    kind="guild",
    noun="guild",
    plural="guilds",
    target=MongoTarget(collection="guilds", label_field="title"),
    collect=(CollectIds("members", "guild_members", child_field="guild_id"),),
    steps=(
        Step("documents", "Documents", (MongoDocs("members", "guild_members", collected="members", field="guild_id"),)),
        Step("graph", "Graph", (GraphNodes("Member", "Member", owner_property="guild_id"),)),
        Step(
            "ledger",
            "Ledger",
            (
                SqlRows.owned("guild_dues", DUES_TABLE, "guild_id"),
                GraphNodes("Guild", "Guild", owner_property="id"),
                MongoDocs("guilds", "guilds", match_target=True),
            ),
        ),
    ),
    listing=Listing(
        section="guilds", title="Guilds", page="tests.kinds.guild.guild_page", columns=(Column("id", "Id", "code"),)
    ),
    coverage=Coverage(field="guild_id"),
)


class GuildRow:
    def __init__(self, doc):
        self.id = str(doc["_id"])
        self.label = doc.get("title") or self.id
        self.cells = {"id": self.id}
        self.is_deleting = False
        self.job = None


def guild_page(*, query: str = "", after: str = "", before: str = "") -> TargetPage:
    rows = [GuildRow(doc) for doc in mongo.database()["guilds"].find({}, {"title": 1}).sort("_id", 1)]
    return TargetPage(rows=attach_jobs("guild", rows), has_next=False)

"""A kind declared only in tests.kinds: listed, previewed, confirmed and deleted through the same
pages, API, command and engine as campaigns and tenants, with no change to any of them."""

import pytest
from bson import ObjectId
from django.core.management import call_command
from django.urls import reverse

from deletion_console.models import DeletionJob, JobStatus
from deletion_console.stores import graph, mongo
from deletion_console.stores import sql as target_sql
from tests.factories import deleter
from tests.fixtures import dumps
from tests.fixtures.worker import WorkerProcess, wait_for_job
from tests.kinds.guild import DUES_TABLE

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "transactional_db")]


@pytest.fixture
def guild_kind(settings):
    settings.DELETION_PLANS = {**settings.DELETION_PLANS, "guild": "tests.kinds.guild.GUILD_PLAN"}
    with target_sql.connect() as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {DUES_TABLE} (guild_id text NOT NULL, amount integer)")
    yield
    with target_sql.connect() as conn:
        conn.execute(f"DROP TABLE {DUES_TABLE}")


@pytest.fixture
def guild_worker(suite_worker, guild_kind):
    suite_worker.stop()  # started again by the next test that needs it
    worker = WorkerProcess("guilds", extra_env={"DJANGO_SETTINGS_MODULE": "tests.kinds.settings"}).start()
    yield worker
    worker.stop()


def seed_guild(title: str, members: int) -> str:
    guild_id = ObjectId()
    mongo.database()["guilds"].insert_one({"_id": guild_id, "title": title})
    ref = str(guild_id)
    mongo.database()["guild_members"].insert_many([{"guild_id": ref, "n": n} for n in range(members)])
    graph.write_value(
        "CREATE (g:Guild {id: $ref}) WITH g UNWIND range(1, $n) AS n CREATE (:Member {guild_id: $ref, n: n})",
        ref=ref,
        n=members,
    )
    with target_sql.connect() as conn:
        conn.cursor().executemany(f"INSERT INTO {DUES_TABLE} VALUES (%s, %s)", [(ref, n) for n in range(members)])
    return ref


def test_a_third_kind_is_listed_previewed_confirmed_and_deleted_by_the_shared_code(client, guild_worker, capsys):
    seed_guild("Neighbours", 3)
    before = dumps.all_stores()
    target = seed_guild("The Lantern Guild", 5)
    client.force_login(deleter(username="dana"))

    listing = client.get("/guilds/").content.decode()
    confirm = client.get(reverse("targets:delete", args=["guilds", target]))
    call_command("delete_target", "guild", target, "--dry-run")
    api_preview = client.get(reverse("api:target-preview", args=["guild", target])).json()
    response = client.post(
        reverse("targets:delete", args=["guilds", target]),
        {"confirm_name": "The Lantern Guild", "shown": confirm.context["form"]["shown"].value()},
    )

    assert "The Lantern Guild" in listing and 'href="/guilds/"' in listing
    assert confirm.status_code == 200 and "Delete this guild" in confirm.content.decode()
    assert "Guild 'The Lantern Guild'" in capsys.readouterr().out
    assert api_preview["counts"] == {
        "documents": {"members": 5},
        "graph": {"Member": 5},
        "ledger": {"guild_dues": 5, "Guild": 1, "guilds": 1},
    }
    assert response.status_code == 302
    job = wait_for_job(DeletionJob.objects.get(kind="guild", target_id=target).pk)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.total_deleted == 17
    assert dumps.all_stores() == before
    assert client.get(reverse("jobs:progress", args=[job.pk])).status_code == 200

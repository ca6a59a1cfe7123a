"""End to end through the real worker: request a deletion, let the chain run, check the stores."""

import asyncio
import contextlib
import threading
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from kombu import Connection, Queue

from campaigns.seeding import CampaignSpec, create_campaign, create_players
from deletion_console.engine.plan import get_plan
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.selectors.scopes import JobScope
from deletion_console.services import announce, execution, lifecycle
from deletion_console.services.broadcast import group_name
from deletion_console.services.errors import ActiveJobExists
from deletion_console.services.preview import preview
from tests.factories import STEPS, chunk_of, request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")]

PLAYERS = tuple(f"player-{n}" for n in range(6))


def seed_neighbours(rng, count=12):
    """A dozen campaigns of both formats, several sharing players with the target."""
    create_players(PLAYERS)
    return [
        create_campaign(
            CampaignSpec(
                name=f"Neighbour {n}",
                new_format=n % 2 == 0,
                string_id=n % 3 == 0,
                players=PLAYERS[n % 3 : n % 3 + 3],
                events=15,
            ),
            rng,
        )
        for n in range(count)
    ]


def poll(fetch, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := fetch():
            return result
        time.sleep(0.05)
    return None


def delete(campaign_id) -> DeletionJob:
    job = request_deletion("campaign", campaign_id)
    return wait_for_job(job.pk)


@pytest.mark.broker
@pytest.mark.parametrize(
    "spec",
    [
        CampaignSpec(name="Target new", new_format=True, string_id=False, players=PLAYERS[:3], events=120),
        CampaignSpec(name="Target legacy", new_format=False, string_id=True, players=PLAYERS[2:5], events=120),
    ],
    ids=["new-format-objectid", "legacy-string-id"],
)
def test_deletes_the_whole_campaign_and_leaves_every_neighbour_byte_for_byte_unchanged(spec, rng):
    seed_neighbours(rng)
    before = dumps.all_stores()
    target = create_campaign(spec, rng)
    expected = preview("campaign", target.id)

    job = delete(target.id)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert dumps.all_stores() == before  # the target is gone everywhere and nothing else changed
    assert expected.counts == target.counts
    assert job.counts == expected.counts == job.preview
    assert all(n == 0 for entities in job.residue.values() for n in entities.values())
    assert job.progress == 100.0
    assert [job.steps[step]["state"] for step in STEPS] == ["done"] * len(STEPS)


def test_players_shared_with_the_campaign_are_kept(rng):
    create_players(PLAYERS)
    target = create_campaign(CampaignSpec(name="Shared", players=PLAYERS), rng)
    players_before = dumps.graph_dump()["nodes"]

    delete(target.id)

    player_nodes = [n for n in dumps.graph_dump()["nodes"] if '"Player"' in n]
    assert player_nodes == [n for n in players_before if '"Player"' in n]
    assert len(dumps.sql_dump()["public.players"]) == len(PLAYERS)


def test_deleting_an_already_deleted_campaign_succeeds_and_removes_nothing(rng):
    target = create_campaign(CampaignSpec(name="Twice"), rng)
    delete(target.id)
    after_first = dumps.all_stores()

    again = delete(target.id)

    assert again.status == JobStatus.SUCCEEDED, again.error
    assert again.total_deleted == 0
    assert dumps.all_stores() == after_first


def rerun_step(job, step: str) -> None:
    """Do a step's work again on a finished job: every unit, though the job refuses to record it."""
    job = DeletionJob.objects.get(pk=job.pk)
    plan = get_plan(job.kind)
    if step not in execution.UNITS:
        for item in plan.items(step):
            position = None
            while (position := item.delete_batch(JobScope(job, plan), position, 1_000, 0).resume_at) is not None:
                pass
        return
    with contextlib.suppress(lifecycle.Superseded):
        execution.UNITS[step](chunk_of(job, step))


@pytest.mark.parametrize("step", STEPS)
def test_rerunning_any_step_of_a_finished_job_removes_nothing_more(step, rng):
    seed_neighbours(rng, count=3)
    target = create_campaign(CampaignSpec(name="Rerun"), rng)
    job = delete(target.id)
    after = dumps.all_stores()

    rerun_step(job, step)

    assert dumps.all_stores() == after


def test_two_campaigns_deleted_at_once_are_both_complete_and_isolated(rng):
    seed_neighbours(rng, count=4)
    before = dumps.all_stores()
    first = create_campaign(CampaignSpec(name="First", players=PLAYERS[:2], events=300), rng)
    second = create_campaign(CampaignSpec(name="Second", new_format=False, players=PLAYERS[1:3], events=300), rng)

    started = [request_deletion("campaign", c.id) for c in (first, second)]
    finished = [wait_for_job(job.pk) for job in started]

    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 2
    assert finished[0].counts == first.counts and finished[1].counts == second.counts
    assert dumps.all_stores() == before


def test_simultaneous_requests_for_one_campaign_yield_one_job(rng):
    target = create_campaign(CampaignSpec(name="Contested", events=200), rng)
    barrier = threading.Barrier(2)
    outcomes = []

    def request():
        barrier.wait()
        try:
            outcomes.append(request_deletion("campaign", target.id).pk)
        except ActiveJobExists as exc:
            outcomes.append(("refused", exc.job.pk))
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [o for o in outcomes if not isinstance(o, tuple)]
    refused = [o[1] for o in outcomes if isinstance(o, tuple)]
    assert len(created) == 1 and refused == created
    assert DeletionJob.objects.filter(target_id=target.id).count() == 1
    wait_for_job(created[0])


async def receive_until_terminal(layer, channel, timeout=10.0):
    # One event loop for every receive: channels-redis buffers per loop, so receiving through
    # separate async_to_sync calls would hand back the same message again.
    messages = []
    while not messages or messages[-1]["status"] not in ("succeeded", "failed", "cancelled"):
        message = await asyncio.wait_for(layer.receive(channel), timeout)
        messages.append(message["job"])
    return messages


def test_progress_messages_have_increasing_sequence_numbers_and_end_with_the_final_state(rng):
    target = create_campaign(CampaignSpec(name="Watched", events=3000, children=5), rng)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    with transaction.atomic():  # the chain is enqueued on commit, after the test has joined the group
        job = request_deletion("campaign", target.id)
        async_to_sync(layer.group_add)(group_name(job.pk), channel)
    wait_for_job(job.pk)

    messages = async_to_sync(receive_until_terminal)(layer, channel)

    seqs = [m["seq"] for m in messages]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len(messages) >= len(STEPS)
    assert messages[-1]["status"] == "succeeded"
    assert messages[-1]["progress"] == 100.0
    assert messages[-1]["counts"] == target.counts


@pytest.mark.broker
def test_completion_event_reaches_a_queue_bound_to_the_progress_exchange(rng, settings):
    target = create_campaign(CampaignSpec(name="Announced"), rng)
    queue = Queue("test-deletion-events", exchange=announce.exchange(), routing_key="deletion.*", auto_delete=False)
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        bound.purge()

        job = delete(target.id)

        # Each step's event first (see test_events), the completion last, just after the job is saved.
        message = poll(
            lambda: (m := bound.get(no_ack=True)) and m.delivery_info["routing_key"] == "deletion.completed" and m
        )
        bound.delete()

    assert message is not None, "no deletion event was published"
    assert message.delivery_info["routing_key"] == "deletion.completed"
    body = message.payload
    assert body["request_id"] == str(job.pk)
    assert body["campaign_id"] == target.id
    assert body["status"] == "succeeded"
    assert body["deleted_counts"] == target.counts
    assert body["started_at"] and body["completed_at"]


def test_every_step_leaves_an_audit_event(rng):
    target = create_campaign(CampaignSpec(name="Audited"), rng)

    job = delete(target.id)

    succeeded_steps = list(JobEvent.objects.filter(job=job, kind="succeeded").values_list("step", flat=True))
    assert succeeded_steps == list(STEPS)

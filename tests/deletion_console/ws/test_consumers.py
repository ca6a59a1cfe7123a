"""The progress socket, through the project's real ASGI stack (origin check, session auth) and
the real channels-redis layer."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from deletion_console.config.asgi import application
from deletion_console.services import recorder
from tests.factories import chunk_of, deleter, running_job, succeeded_job, viewer

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1")
TIMEOUT = 5


def _headers(user=None):
    headers = [ORIGIN]
    if user is not None:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    return headers


def _connect(job_id, user=None):
    headers = _headers(user)

    async def attempt():
        communicator = WebsocketCommunicator(application, f"/ws/deletions/{job_id}/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        first = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        if first["type"] == "websocket.close":
            return False, first["code"]
        return True, None

    return async_to_sync(attempt)()


def test_anonymous_users_are_refused():
    job = running_job()

    assert _connect(job.pk) == (False, 4403)


def test_users_who_may_not_see_the_job_are_refused():
    job = running_job()

    assert _connect(job.pk, viewer(username="vic")) == (False, 4403)


def test_an_unknown_job_is_refused():
    assert _connect("00000000-0000-0000-0000-000000000000", deleter(username="dana")) == (False, 4403)


def test_the_requester_may_follow_their_own_job_without_the_permission():
    vic = viewer(username="vic")

    assert _connect(succeeded_job(requested_by=vic).pk, vic)[0] is True


def test_a_snapshot_on_connect_then_every_update_of_the_job():
    job = running_job(step="mongodb")
    headers = _headers(deleter(username="dana"))

    async def follow():
        communicator = WebsocketCommunicator(application, f"/ws/deletions/{job.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        snapshot = await communicator.receive_json_from(timeout=TIMEOUT)
        # The worker's path: a service records a change and broadcasts it once committed.
        await database_sync_to_async(recorder.start_step)(chunk_of(job, "mongodb"))
        update = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return snapshot, update

    snapshot, update = async_to_sync(follow)()

    assert snapshot["type"] == "snapshot"
    assert snapshot["job"]["id"] == str(job.pk) and snapshot["job"]["seq"] == job.seq
    assert update["type"] == "update"
    assert update["job"]["seq"] > snapshot["job"]["seq"]
    assert update["job"]["current_step"] == "mongodb"
    assert update["job"]["steps"]["mongodb"]["state"] == "running"


def test_updates_of_other_jobs_do_not_arrive():
    mine, other = running_job(), running_job(step="neo4j")
    headers = _headers(deleter(username="dana"))

    async def follow():
        communicator = WebsocketCommunicator(application, f"/ws/deletions/{mine.pk}/", headers=headers)
        await communicator.connect(timeout=TIMEOUT)
        await communicator.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(recorder.start_step)(chunk_of(other, "neo4j"))
        nothing = await communicator.receive_nothing(timeout=1)
        await communicator.disconnect()
        return nothing

    assert async_to_sync(follow)() is True


def test_an_open_socket_is_closed_once_the_users_permission_is_revoked(settings):
    settings.WS_PERMISSION_CACHE_SECONDS = 0  # asked again before every update
    job = running_job(step="mongodb")
    dana = deleter(username="dana")
    headers = _headers(dana)

    async def follow():
        communicator = WebsocketCommunicator(application, f"/ws/deletions/{job.pk}/", headers=headers)
        await communicator.connect(timeout=TIMEOUT)
        await communicator.receive_json_from(timeout=TIMEOUT)  # the snapshot
        await database_sync_to_async(recorder.start_step)(chunk_of(job, "mongodb"))
        while_allowed = await communicator.receive_json_from(timeout=TIMEOUT)
        await database_sync_to_async(dana.user_permissions.clear)()
        await database_sync_to_async(recorder.finish_step)(chunk_of(job, "mongodb"), 1.0)
        after = await communicator.receive_output(timeout=TIMEOUT)
        await communicator.disconnect()
        return while_allowed, after

    while_allowed, after = async_to_sync(follow)()

    assert while_allowed["type"] == "update"
    assert after == {"type": "websocket.close", "code": 4403}

"""The live progress socket: a snapshot on connect, then every update of the job, for as long as
the user may still see it."""

import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model

from deletion_console.models import DeletionJob
from deletion_console.selectors.jobs import job_snapshot, user_can_view_job
from deletion_console.services.broadcast import group_name

DENIED = 4403  # the page stops reconnecting on this code


class JobProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.job_id = str(self.scope["url_route"]["kwargs"]["job_id"])
        # Join the group before reading the snapshot, so no update falls between the two;
        # the page drops whatever is older than the snapshot's sequence number.
        self.group = group_name(self.job_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        snapshot = await self._snapshot_if_allowed()
        await self.accept()
        if snapshot is None:
            # Closing after the handshake is the only way the browser sees this code; a
            # refused handshake reaches it as a bare 1006 and it would reconnect forever.
            await self.close(code=DENIED)
            return
        await self.send_json({"type": "snapshot", "job": snapshot})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_update(self, event):
        if not await self._still_allowed():
            await self.close(code=DENIED)
            return
        await self.send_json({"type": "update", "job": event["job"]})

    async def _still_allowed(self) -> bool:
        # A permission revoked (or the account deactivated) after connecting ends the socket; asked
        # again at most every WS_PERMISSION_CACHE_SECONDS, not for each of a busy job's updates.
        now = time.monotonic()
        if now - getattr(self, "_checked_at", float("-inf")) >= settings.WS_PERMISSION_CACHE_SECONDS:
            self._allowed = await self._allowed_now()
            self._checked_at = now
        return self._allowed

    @database_sync_to_async
    def _allowed_now(self) -> bool:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return False
        # Read again: the scope's user carries the permissions it had when the socket opened.
        fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
        job = DeletionJob.objects.filter(pk=self.job_id).first()
        return fresh is not None and job is not None and user_can_view_job(fresh, job)

    @database_sync_to_async
    def _snapshot_if_allowed(self):
        user = self.scope.get("user")
        job = DeletionJob.objects.filter(pk=self.job_id).first()
        if job is None or not user_can_view_job(user, job):
            return None
        return job_snapshot(job)

"""The consumer of deletion requests as a real process on the real events broker: messages
published to `campaign.ops` become jobs the real worker runs; refused ones end in the dead-letter
queue with their reason; a repeat or an outage neither doubles nor loses a request."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from kombu import Connection

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.amqp import request_consumer as intake
from deletion_console.models import DeletionJob, JobStatus
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory
from tests.fixtures import dumps
from tests.fixtures.worker import LOG_DIR, ROOT, WORKER_ENV, console_database_url, wait_for_job

pytestmark = [
    pytest.mark.worker,
    pytest.mark.broker,
    pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db"),
]

CAMPAIGN_KEY = "campaign.delete.requested"
TENANT_KEY = "tenant.delete.requested"
READY = "Consuming deletion requests from queue"


class ConsumerProcess:
    """`manage.py consume_deletion_requests`, as `make run` and the compose file start it."""

    def __init__(self, name: str, extra_env: dict | None = None):
        self.log_path = LOG_DIR / f"intake-{name}.log"
        self.env = {
            **os.environ,
            **WORKER_ENV,
            "DATABASE_URL": console_database_url(),
            "DELETION_REQUESTS_RETRY_SECONDS": "0.5",
            **(extra_env or {}),
        }
        self.proc = None

    def start(self, timeout: float = 30) -> "ConsumerProcess":
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 (kept open for the process)
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "consume_deletion_requests"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for_log(READY, timeout=timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 30, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the consumer exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not logged {count} time(s) within {timeout} s:\n{self.log()}")

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.running:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def broker(settings):
    """A connection to the events broker, with the request and dead-letter queues declared and empty."""
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        requests, dead = intake.queue()(conn.default_channel), intake.dead_queue()(conn.default_channel)
        for queue in (requests, dead):
            queue.declare()
            queue.purge()
        yield conn
        for queue in (requests, dead):
            queue.purge()


@pytest.fixture
def consumers(broker):
    started = []

    def start(name="consumer", **extra_env):
        started.append(ConsumerProcess(name, extra_env).start())
        return started[-1]

    yield start
    for process in started:
        process.stop()


def request(target_id, *, kind="campaign", request_id=None, **fields) -> dict:
    return {
        f"{kind}_id": target_id,
        "request_id": str(request_id or uuid.uuid4()),
        "user_id": "42",
        "timestamp": "2026-12-02T17:00:00+00:00",
        **fields,
    }


def publish(conn, routing_key: str, body) -> bytes:
    """Publish as another service would, a JSON object or raw bytes; returns the bytes sent."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn.Producer().publish(
        raw,
        exchange=intake.exchange(),
        routing_key=routing_key,
        # Declared by the publisher too: on Redis the exchange's type lives with each client.
        declare=[intake.exchange()],
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
    )
    return raw


def dead_letters(conn, count: int, timeout: float = 30) -> list:
    queue = intake.dead_queue()(conn.default_channel)
    letters, deadline = [], time.monotonic() + timeout
    while len(letters) < count and time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.1)
        else:
            letters.append(message)
    assert len(letters) == count, f"{len(letters)} dead letter(s) within {timeout} s, not {count}"
    return letters


def raw(message) -> bytes:
    # py-amqp decodes a body that names its encoding; Redis hands over bytes.
    return message.body if isinstance(message.body, bytes) else message.body.encode(message.content_encoding)


def waiting(conn, queue) -> int:
    # Declared again rather than passively: Redis forgets an empty queue, and passive would fail.
    return queue()(conn.default_channel).queue_declare().message_count


def job_created(request_id, timeout: float = 30) -> DeletionJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job := DeletionJob.objects.filter(pk=request_id).first():
            return job
        time.sleep(0.1)
    raise AssertionError(f"no job {request_id} within {timeout} s")


def test_a_requested_message_deletes_the_campaign_under_its_request_id_and_a_repeat_is_acked_and_ignored(
    broker, consumers, rng
):
    for n in range(3):
        create_campaign(CampaignSpec(name=f"Neighbour {n}", new_format=n % 2 == 0, string_id=n == 1), rng)
    before = dumps.all_stores()
    target = create_campaign(CampaignSpec(name="Requested by message", events=40), rng)
    request_id = uuid.uuid4()
    message = request(target.id, request_id=request_id)
    consumer = consumers()

    publish(broker, CAMPAIGN_KEY, message)
    job = wait_for_job(job_created(request_id).pk)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.kind, job.target_id, job.total_deleted) == ("campaign", target.id, job.total_expected)
    assert dumps.all_stores() == before  # the target is gone everywhere and nothing else changed

    publish(broker, CAMPAIGN_KEY, message)
    # One message at a time, in order: once the one behind it is dead-lettered, the repeat is done.
    publish(broker, CAMPAIGN_KEY, request("sentinel"))
    [letter] = dead_letters(broker, 1)

    assert "No campaign with id 'sentinel'" in letter.headers[intake.REASON_HEADER]
    assert DeletionJob.objects.count() == 1
    consumer.wait_for_log(f"Message for deletion job {request_id} repeated")
    assert consumer.stop() == 0
    # Unacknowledged messages go back to the queue when their consumer disconnects: none did.
    assert waiting(broker, intake.queue) == 0


def test_refused_messages_are_dead_lettered_with_their_reason_and_the_consumer_goes_on(broker, consumers, rng):
    busy = create_campaign(CampaignSpec(name="Being deleted"), rng)
    other_job = DeletionJobFactory(target_id=busy.id)
    target = create_campaign(CampaignSpec(name="After the refusals"), rng)
    consumer = consumers()

    sent = [
        publish(broker, CAMPAIGN_KEY, b'{"campaign_id": "c-1", "request_id": '),
        publish(broker, CAMPAIGN_KEY, {k: v for k, v in request(target.id).items() if k != "user_id"}),
        publish(broker, CAMPAIGN_KEY, request("no-such-campaign")),
        publish(broker, CAMPAIGN_KEY, request(target.id, request_id="not-a-uuid")),
        publish(broker, CAMPAIGN_KEY, request(busy.id)),
    ]
    request_id = uuid.uuid4()
    publish(broker, CAMPAIGN_KEY, request(target.id, request_id=request_id))

    job = wait_for_job(job_created(request_id).pk)
    letters = dead_letters(broker, len(sent))

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert consumer.running
    assert [raw(letter) for letter in letters] == sent  # kept byte for byte, in order
    reasons = [letter.headers[intake.REASON_HEADER] for letter in letters]
    assert reasons[0].startswith("The body is not JSON")
    assert reasons[1] == "The body lacks user_id."
    assert reasons[2] == "No campaign with id 'no-such-campaign' was found."
    assert reasons[3] == "request_id 'not-a-uuid' is not a UUID."
    assert reasons[4] == f"A deletion of this campaign is already pending (job {other_job.pk})."
    assert [letter.headers[intake.REFUSAL_HEADER] for letter in letters] == [
        "MalformedRequest",
        "MalformedRequest",
        "TargetNotFound",
        "MalformedRequest",
        "ActiveJobExists",
    ]
    for letter in letters:
        assert letter.headers[intake.ROUTING_KEY_HEADER] == CAMPAIGN_KEY
        assert letter.headers[intake.EXCHANGE_HEADER] == "campaign.ops"
        assert letter.delivery_info["routing_key"] == CAMPAIGN_KEY
    assert consumer.log().count("Deletion request refused") == len(sent)
    assert DeletionJob.objects.count() == 2  # the busy target's own job, and the good request's


def test_a_tenant_requested_message_deletes_the_tenant_under_its_request_id(broker, consumers, rng):
    create_tenant(TenantSpec(id="t-neighbour", name="Neighbour Deli"), rng)
    before = dumps.all_stores()
    tenant = create_tenant(TenantSpec(id="t-by-message", name="Message Deli"), rng)
    request_id = uuid.uuid4()
    consumers()

    publish(broker, TENANT_KEY, request(tenant.id, kind="tenant", request_id=request_id))
    job = wait_for_job(job_created(request_id).pk)

    assert (job.kind, job.target_id, job.status) == ("tenant", "t-by-message", JobStatus.SUCCEEDED), job.error
    assert dumps.all_stores() == before


def test_a_request_that_meets_an_unreachable_store_waits_in_the_queue_until_it_can_be_served(broker, consumers, rng):
    target = create_campaign(CampaignSpec(name="Outage"), rng)
    request_id = uuid.uuid4()
    outage = consumers("outage", MONGODB_URL="mongodb://127.0.0.1:9/", STORE_TIMEOUT_SECONDS="0.5")

    publish(broker, CAMPAIGN_KEY, request(target.id, request_id=request_id))
    outage.wait_for_log("Deletion request not processed, a store or the broker is unreachable", count=3)
    assert outage.stop() == 0

    assert not DeletionJob.objects.exists()
    assert waiting(broker, intake.dead_queue) == 0
    assert waiting(broker, intake.queue) == 1
    consumers("recovered")
    assert wait_for_job(job_created(request_id).pk).status == JobStatus.SUCCEEDED


def test_a_request_that_keeps_failing_on_an_error_that_is_not_an_outage_is_dead_lettered_after_its_attempts(
    broker, consumers, rng
):
    target = create_campaign(CampaignSpec(name="Misconfigured"), rng)
    sent = request(target.id)
    # A target database without the platform's tables: every preview fails, and retrying cannot help.
    consumers("misconfigured", TARGET_DATABASE_URL=console_database_url(), DELETION_REQUESTS_MAX_ATTEMPTS="2")

    publish(broker, CAMPAIGN_KEY, sent)
    [letter] = dead_letters(broker, 1)

    assert letter.headers[intake.REFUSAL_HEADER] == "Error"
    assert letter.headers[intake.REASON_HEADER].startswith("Could not be processed after 2 attempts: UndefinedTable")
    assert json.loads(raw(letter)) == sent
    assert not DeletionJob.objects.exists()

"""The consumer of deletion requests as a real process on the real events broker: messages
published to `campaign.ops` by a service's broker user become jobs the real worker runs; refused
ones, among them those whose sender is not proven, end in the dead-letter queue with their reason;
a repeat or an outage neither doubles nor loses a request.

On RabbitMQ each service publishes as its own broker user of the local stack, which RabbitMQ
vouches for in the user_id property. On Redis (make test's second pass), which vouches for
nobody, the consumer runs in its development mode that takes the property on trust; one test
shows that without it every request over Redis is refused."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from django.conf import settings
from kombu import Connection

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.amqp import request_consumer as intake
from deletion_console.models import DeletionJob, JobStatus
from deletion_console.services import service_accounts
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory, service_account
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
# Broker users of the local stack (scripts/stack/rabbitmq.sh): orders-service is the service
# account's in these tests; campaign-service is a login on the broker but no account's.
ORDERS = "orders-service"
STRANGER = "campaign-service"
TRUST_UNPROVEN = "DELETION_REQUESTS_TRUST_UNPROVEN_SENDER"


def on_rabbitmq(url: str) -> bool:
    return url.startswith(("amqp", "pyamqp"))


@pytest.fixture(autouse=True)
def orders(transactional_db):
    """The service account the requests come from, with orders-service as its broker user."""
    account, _ = service_account("orders")
    account.broker_user = ORDERS
    account.save(update_fields=["broker_user"])
    return account


class ConsumerProcess:
    """`manage.py consume_deletion_requests`, as `make run` and the compose file start it."""

    def __init__(self, name: str, extra_env: dict | None = None):
        self.log_path = LOG_DIR / f"intake-{name}.log"
        self.env = {
            **os.environ,
            **WORKER_ENV,
            "DATABASE_URL": console_database_url(),
            "DELETION_REQUESTS_RETRY_SECONDS": "0.5",
            # Redis vouches for no sender: only the development mode takes requests over it.
            TRUST_UNPROVEN: "false" if on_rabbitmq(settings.DELETION_EVENTS_URL) else "true",
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


def publisher_url(broker_user: str, events_url: str | None = None) -> str:
    """Where a service publishes: as its own broker user on RabbitMQ; Redis has no users."""
    events_url = events_url or settings.DELETION_EVENTS_URL
    if not on_rabbitmq(events_url):
        return events_url
    return os.environ[f"RABBITMQ_{broker_user.replace('-', '_').upper()}_URL"]


def publish(routing_key: str, body, *, sender=ORDERS, user_id=None, events_url=None) -> bytes:
    """Publish as a service would, logged in as its broker user `sender` and naming it (or
    `user_id`, or no one for user_id="") in the user_id property, a JSON object or raw bytes;
    returns the bytes sent."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    user_id = sender if user_id is None else user_id
    # Confirms: a publish RabbitMQ refuses fails here rather than unnoticed.
    with Connection(publisher_url(sender, events_url), transport_options={"confirm_publish": True}) as publisher:
        publisher.Producer().publish(
            raw,
            exchange=intake.exchange(),
            routing_key=routing_key,
            # Declared by the publisher too: on Redis the exchange's type lives with each client.
            declare=[intake.exchange()],
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            **({"user_id": user_id} if user_id else {}),
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
    broker, consumers, rng, orders
):
    for n in range(3):
        create_campaign(CampaignSpec(name=f"Neighbour {n}", new_format=n % 2 == 0, string_id=n == 1), rng)
    before = dumps.all_stores()
    target = create_campaign(CampaignSpec(name="Requested by message", events=40), rng)
    request_id = uuid.uuid4()
    message = request(target.id, request_id=request_id)
    consumer = consumers()

    publish(CAMPAIGN_KEY, message)
    job = wait_for_job(job_created(request_id).pk)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.kind, job.target_id, job.total_deleted) == ("campaign", target.id, job.total_expected)
    assert (job.requested_by, job.requested_for) == (orders.user, "42")
    assert dumps.all_stores() == before  # the target is gone everywhere and nothing else changed

    publish(CAMPAIGN_KEY, message)
    # One message at a time, in order: once the one behind it is dead-lettered, the repeat is done.
    publish(CAMPAIGN_KEY, request("sentinel"))
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
        publish(CAMPAIGN_KEY, b'{"campaign_id": "c-1", "request_id": '),
        publish(CAMPAIGN_KEY, {k: v for k, v in request(target.id).items() if k != "user_id"}),
        publish(CAMPAIGN_KEY, request("no-such-campaign")),
        publish(CAMPAIGN_KEY, request(target.id, request_id="not-a-uuid")),
        publish(CAMPAIGN_KEY, request(busy.id)),
    ]
    request_id = uuid.uuid4()
    publish(CAMPAIGN_KEY, request(target.id, request_id=request_id))

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

    publish(TENANT_KEY, request(tenant.id, kind="tenant", request_id=request_id))
    job = wait_for_job(job_created(request_id).pk)

    assert (job.kind, job.target_id, job.status) == ("tenant", "t-by-message", JobStatus.SUCCEEDED), job.error
    assert dumps.all_stores() == before


@pytest.mark.long
def test_a_request_that_meets_an_unreachable_store_waits_in_the_queue_until_it_can_be_served(broker, consumers, rng):
    target = create_campaign(CampaignSpec(name="Outage"), rng)
    request_id = uuid.uuid4()
    outage = consumers("outage", MONGODB_URL="mongodb://127.0.0.1:9/", STORE_TIMEOUT_SECONDS="0.5")

    publish(CAMPAIGN_KEY, request(target.id, request_id=request_id))
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

    publish(CAMPAIGN_KEY, sent)
    [letter] = dead_letters(broker, 1)

    assert letter.headers[intake.REFUSAL_HEADER] == "Error"
    assert letter.headers[intake.REASON_HEADER].startswith("Could not be processed after 2 attempts: UndefinedTable")
    assert json.loads(raw(letter)) == sent
    assert not DeletionJob.objects.exists()


def test_a_request_from_no_proven_sender_or_a_sender_without_the_right_is_dead_lettered_at_once_saying_why(
    broker, consumers, rng, orders
):
    target = create_campaign(CampaignSpec(name="Asked for by others"), rng)
    consumer = consumers()

    sent = [
        publish(CAMPAIGN_KEY, request(target.id), user_id=""),
        publish(CAMPAIGN_KEY, request(target.id), sender=STRANGER),
    ]
    letters = dead_letters(broker, 2)
    # The stranger's broker user is given to an account that may not request deletions; orders is revoked.
    reader, _ = service_account("reader", can_delete=False)
    reader.broker_user = STRANGER
    reader.save(update_fields=["broker_user"])
    sent.append(publish(CAMPAIGN_KEY, request(target.id), sender=STRANGER))
    letters += dead_letters(broker, 1)
    service_accounts.revoke(account=orders)
    sent.append(publish(CAMPAIGN_KEY, request(target.id)))
    letters += dead_letters(broker, 1)

    assert [raw(letter) for letter in letters] == sent
    assert [letter.headers[intake.REFUSAL_HEADER] for letter in letters] == [
        "UnidentifiedSender",
        "UnidentifiedSender",
        "SenderNotPermitted",
        "SenderNotPermitted",
    ]
    reasons = [letter.headers[intake.REASON_HEADER] for letter in letters]
    assert reasons[0].startswith("The message does not say who sent it (no user_id property)")
    assert reasons[1] == f"Broker user {STRANGER!r} is no service account's broker user."
    assert "may not request the deletion of a campaign" in reasons[2]
    assert reasons[3] == f"Service account orders (broker user {ORDERS!r}) is revoked."
    assert [letter.headers.get(intake.SENDER_HEADER) for letter in letters] == [None, STRANGER, STRANGER, ORDERS]
    # Refused on first delivery: nothing was tried again.
    assert "not processed" not in consumer.log()
    assert not DeletionJob.objects.exists()


def test_rabbitmq_refuses_a_publish_naming_another_sender_and_lets_no_one_but_services_publish_requests(
    broker, consumers, rng, settings
):
    if not on_rabbitmq(settings.DELETION_EVENTS_URL):
        pytest.skip("only RabbitMQ vouches for a message's sender")
    target = create_campaign(CampaignSpec(name="Spoofed"), rng)
    consumers()

    with pytest.raises(PreconditionFailed, match="user_id property set to 'campaign-service'"):
        publish(CAMPAIGN_KEY, request(target.id), user_id=STRANGER)
    # The console's own login (and every other one but the services') may not publish requests at all.
    with (
        Connection(settings.DELETION_EVENTS_URL, transport_options={"confirm_publish": True}) as console,
        pytest.raises(AccessRefused, match="access to exchange 'campaign.ops'"),
    ):
        console.Producer().publish(json.dumps(request(target.id)), exchange=intake.exchange(), routing_key=CAMPAIGN_KEY)
    request_id = uuid.uuid4()
    publish(CAMPAIGN_KEY, request(target.id, request_id=request_id))

    assert wait_for_job(job_created(request_id).pk).status == JobStatus.SUCCEEDED
    assert DeletionJob.objects.count() == 1
    assert waiting(broker, intake.dead_queue) == 0


def test_over_a_broker_that_vouches_for_no_sender_every_request_is_refused_outside_development_mode(
    consumers, rng, settings
):
    # Redis, whichever broker this run's events use: it keeps whatever user_id a publisher claims.
    target = create_campaign(CampaignSpec(name="Over Redis"), rng)
    with Connection(settings.REDIS_URL) as redis:
        requests, dead = intake.queue()(redis.default_channel), intake.dead_queue()(redis.default_channel)
        for queue in (requests, dead):
            queue.declare()
            queue.purge()
        consumers("redis", DELETION_EVENTS_URL=settings.REDIS_URL, **{TRUST_UNPROVEN: "false"})

        sent = publish(CAMPAIGN_KEY, request(target.id), events_url=settings.REDIS_URL)
        [letter] = dead_letters(redis, 1)

    assert raw(letter) == sent
    assert letter.headers[intake.REFUSAL_HEADER] == "UnidentifiedSender"
    assert letter.headers[intake.REASON_HEADER].startswith("This broker cannot prove who sent a message")
    assert not DeletionJob.objects.exists()


def test_an_id_with_a_nul_or_control_character_or_a_body_over_the_cap_is_dead_lettered_as_malformed_at_once(
    broker, consumers, rng
):
    target = create_campaign(CampaignSpec(name="Control characters"), rng)
    consumer = consumers(DELETION_REQUESTS_MAX_BYTES="4096")

    sent = [
        publish(CAMPAIGN_KEY, request(f"{target.id}\x00")),
        publish(CAMPAIGN_KEY, request(target.id, user_id="42\x1b[2J")),
        publish(CAMPAIGN_KEY, request(target.id, note="x" * 4096)),
    ]
    letters = dead_letters(broker, len(sent))

    assert [raw(letter) for letter in letters] == sent
    assert [letter.headers[intake.REFUSAL_HEADER] for letter in letters] == ["MalformedRequest"] * 3
    reasons = [letter.headers[intake.REASON_HEADER] for letter in letters]
    assert reasons[:2] == [
        "campaign_id holds a control character (U+0000).",
        "user_id holds a control character (U+001B).",
    ]
    assert reasons[2].endswith("a request is at most 4096.")
    assert "not processed" not in consumer.log()
    assert not DeletionJob.objects.exists()

"""The seed's event contract on a real broker: every step's event, in order, each valid against
the JSON Schema in the repository."""

import json
import time
from pathlib import Path

import jsonschema
import pytest
from kombu import Connection, Queue

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.services import announce
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import request_deletion
from tests.fixtures.worker import wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")]

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "deletion_console/schemas/deletion_event.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def progress_queue(settings):
    queue = Queue("test-progress", exchange=announce.exchange(), routing_key="deletion.*", auto_delete=False)
    with Connection(settings.DELETION_EVENTS_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        bound.purge()
        yield bound
        bound.delete()


def drain(queue, until: str, timeout: float = 10.0) -> list:
    messages, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.05)
            continue
        messages.append(message)
        if message.delivery_info["routing_key"] == until:
            break
    return messages


@pytest.mark.broker
def test_a_campaign_deletion_publishes_every_step_in_order_each_valid_against_the_schema(progress_queue, rng):
    target = create_campaign(CampaignSpec(name="Evented", events=30), rng)

    job = wait_for_job(request_deletion("campaign", target.id).pk)
    messages = drain(progress_queue, until="deletion.completed")

    keys = [m.delivery_info["routing_key"] for m in messages]
    assert keys == [
        "deletion.validated",
        "deletion.collecting",
        "deletion.mongodb",
        "deletion.neo4j",
        "deletion.postgres",
        "deletion.completed",
    ]
    for message in messages:
        VALIDATOR.validate(message.payload)
        assert message.payload["request_id"] == str(job.pk) and message.payload["campaign_id"] == target.id
    last = messages[-1].payload
    assert last["status"] == "succeeded" and last["progress_percentage"] == 100
    assert last["deleted_counts"] == target.counts  # per store: a campaign's steps are its stores
    assert [m.payload["seq"] for m in messages] == sorted(m.payload["seq"] for m in messages)


def test_a_tenant_deletion_publishes_each_service_then_the_registry_then_completed(progress_queue, rng):
    tenant = create_tenant(TenantSpec(id="t-10", name="Evented Deli"), rng)

    wait_for_job(request_deletion("tenant", tenant.id).pk)
    messages = drain(progress_queue, until="deletion.completed")

    keys = [m.delivery_info["routing_key"] for m in messages]
    services = {"orders", "inventory", "suppliers", "pos", "alerts", "external", "graph"}
    assert keys[:2] == ["deletion.validated", "deletion.collecting"]
    assert {k.split(".")[1] for k in keys[2:9]} == services
    assert keys[9:] == ["deletion.registry", "deletion.completed"]
    for message in messages:
        VALIDATOR.validate(message.payload)
    assert messages[-1].payload["tenant_id"] == "t-10"
    assert messages[-1].payload["services_completed"] == 8
    assert messages[-1].payload["deleted_counts"]["postgres"]["orders"] == tenant.store_counts["postgres"]["orders"]

"""Requests by message, at the service: what a message must carry, what refuses it, and that one
request_id never makes two jobs."""

import json
import threading
import uuid

import pytest
from django.db import connection

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.services import intake, jobs
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.errors import (
    ActiveJobExists,
    DeletionRefused,
    InvalidPreviewToken,
    JobIdTaken,
    MalformedRequest,
    PreviewChanged,
    RequestIdReused,
    TargetNotFound,
)
from deletion_console.services.preview import preview
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory
from tests.fixtures.worker import wait_for_job

CAMPAIGN_KEY = "campaign.delete.requested"
TIMESTAMP = "2026-12-02T17:00:00Z"


def body(request_id=None, **fields) -> dict:
    return {
        "campaign_id": "c-1",
        "request_id": str(request_id or uuid.uuid4()),
        "user_id": "42",
        "timestamp": TIMESTAMP,
        **fields,
    }


def encoded(data) -> bytes:
    return json.dumps(data).encode()


def without(name: str) -> dict:
    data = body()
    del data[name]
    return data


def test_a_campaign_request_is_read_from_its_routing_key_and_body():
    request_id = uuid.uuid4()

    request = intake.parse_request(routing_key=CAMPAIGN_KEY, body=encoded(body(request_id, user_id=7)))

    assert request == intake.DeletionRequest(
        kind="campaign", target_id="c-1", request_id=request_id, user_id="7", timestamp=TIMESTAMP
    )
    assert request.requester == f"by message from user 7, sent {TIMESTAMP}"


def test_a_tenant_request_names_its_target_by_tenant_id_and_may_carry_a_preview_token():
    data = {"tenant_id": "t-1", "request_id": str(uuid.uuid4()), "user_id": "u", "timestamp": "2026-12-02T17:00:00"}

    request = intake.parse_request(routing_key="tenant.delete.requested", body=encoded({**data, "preview_token": "x"}))

    assert (request.kind, request.target_id, request.preview_token) == ("tenant", "t-1", "x")


@pytest.mark.parametrize(
    ("routing_key", "payload", "reason"),
    [
        (CAMPAIGN_KEY, b"{not json", "The body is not JSON"),
        (CAMPAIGN_KEY, b"\xff\xfe", "The body is not JSON"),
        (CAMPAIGN_KEY, b"", "The body is not JSON"),
        (CAMPAIGN_KEY, encoded(["c-1"]), "not an object (it is a list)"),
        (CAMPAIGN_KEY, encoded(without("campaign_id")), "The body lacks campaign_id."),
        (CAMPAIGN_KEY, encoded(without("request_id")), "The body lacks request_id."),
        (CAMPAIGN_KEY, encoded(without("user_id")), "The body lacks user_id."),
        (CAMPAIGN_KEY, encoded(without("timestamp")), "The body lacks timestamp."),
        (CAMPAIGN_KEY, encoded({}), "The body lacks campaign_id, request_id, user_id, timestamp."),
        (CAMPAIGN_KEY, encoded(body(user_id="  ")), "The body lacks user_id."),
        (CAMPAIGN_KEY, encoded({**body(), "request_id": "req-1"}), "request_id 'req-1' is not a UUID."),
        (CAMPAIGN_KEY, encoded(body(timestamp="yesterday")), "timestamp 'yesterday' is not an ISO 8601"),
        (CAMPAIGN_KEY, encoded(body(campaign_id={"$ne": None})), "campaign_id must be a string"),
        (CAMPAIGN_KEY, encoded(body(campaign_id="x" * 256)), "campaign_id is longer than 255 characters."),
        (CAMPAIGN_KEY, encoded(body(user_id="u" * 256)), "user_id is longer than 255 characters."),
        (CAMPAIGN_KEY, encoded(body(preview_token=3)), "preview_token must be a string."),
        ("tenant.delete.requested", encoded(body()), "The body lacks tenant_id."),
        ("planet.delete.requested", encoded(body()), "No deletion plan for targets of kind 'planet'"),
        ("campaign.delete.cancelled", encoded(body()), "is not a deletion request"),
        ("", encoded(body()), "is not a deletion request"),
    ],
    ids=[
        "bad-json",
        "not-utf8",
        "empty",
        "not-an-object",
        "no-campaign-id",
        "no-request-id",
        "no-user-id",
        "no-timestamp",
        "nothing",
        "blank-user-id",
        "request-id-not-uuid",
        "timestamp-not-iso",
        "campaign-id-not-text",
        "campaign-id-too-long",
        "user-id-too-long",
        "preview-token-not-text",
        "tenant-without-tenant-id",
        "unknown-kind",
        "not-a-request",
        "no-routing-key",
    ],
)
def test_a_message_that_is_not_a_readable_request_is_refused_saying_why(routing_key, payload, reason):
    with pytest.raises(MalformedRequest) as refused:
        intake.parse_request(routing_key=routing_key, body=payload)

    assert reason in str(refused.value)
    assert isinstance(refused.value, DeletionRefused)


def test_the_queue_is_bound_to_the_requests_of_each_kind_of_target():
    assert intake.binding_keys() == ["campaign.delete.*", "tenant.delete.*"]


@pytest.mark.usefixtures("clean_stores", "transactional_db")
class TestRefusals:
    """Refused before any job exists, so no worker is needed."""

    def test_a_request_for_an_unknown_campaign_is_refused_as_not_found(self):
        with pytest.raises(TargetNotFound, match="No campaign with id 'missing' was found."):
            intake.take_request(routing_key=CAMPAIGN_KEY, body=encoded(body(campaign_id="missing")))

        assert not DeletionJob.objects.exists()

    def test_a_request_for_a_target_another_job_is_deleting_is_refused_naming_that_job(self, rng):
        target = create_campaign(CampaignSpec(name="Busy"), rng)
        other = DeletionJobFactory(target_id=target.id)

        with pytest.raises(ActiveJobExists) as refused:
            intake.take_request(routing_key=CAMPAIGN_KEY, body=encoded(body(campaign_id=target.id)))

        assert refused.value.job == other
        assert str(other.pk) in str(refused.value)
        assert DeletionJob.objects.count() == 1

    def test_a_request_id_that_already_names_another_targets_job_is_refused(self, rng):
        target = create_campaign(CampaignSpec(name="Reused"), rng)
        earlier = DeletionJobFactory(target_id="someone-else", status=JobStatus.SUCCEEDED)

        with pytest.raises(RequestIdReused, match="a new request needs a new request_id"):
            intake.take_request(routing_key=CAMPAIGN_KEY, body=encoded(body(earlier.pk, campaign_id=target.id)))

        assert DeletionJob.objects.count() == 1

    def test_a_preview_token_not_signed_by_the_console_is_refused(self, rng):
        target = create_campaign(CampaignSpec(name="Forged"), rng)

        with pytest.raises(InvalidPreviewToken):
            intake.take_request(
                routing_key=CAMPAIGN_KEY, body=encoded(body(campaign_id=target.id, preview_token="forged:token"))
            )

    def test_a_preview_token_of_other_counts_is_refused_as_changed(self, rng):
        target = create_campaign(CampaignSpec(name="Changed"), rng)
        other = create_campaign(CampaignSpec(name="Other", events=5), rng)
        token = sign_preview(preview("campaign", other.id))

        with pytest.raises(PreviewChanged):
            intake.take_request(
                routing_key=CAMPAIGN_KEY, body=encoded(body(campaign_id=target.id, preview_token=token))
            )

        assert not DeletionJob.objects.exists()


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db")
class TestJobs:
    def test_a_request_makes_its_job_under_the_request_id_and_the_audit_trail_names_the_user(self, rng):
        target = create_campaign(CampaignSpec(name="By message"), rng)
        request_id = uuid.uuid4()

        outcome = intake.take_request(routing_key=CAMPAIGN_KEY, body=encoded(body(request_id, campaign_id=target.id)))

        assert outcome.created and outcome.job.pk == request_id
        job = wait_for_job(request_id)
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.requested_by is None
        requested = JobEvent.objects.get(job=job, kind="requested")
        assert requested.message == f"by message from user 42, sent {TIMESTAMP}"

    def test_a_repeated_request_finds_its_job_even_once_it_has_finished_and_makes_no_other(self, rng):
        target = create_campaign(CampaignSpec(name="Twice by message"), rng)
        message = encoded(body(campaign_id=target.id))
        first = intake.take_request(routing_key=CAMPAIGN_KEY, body=message)
        wait_for_job(first.job.pk)

        again = intake.take_request(routing_key=CAMPAIGN_KEY, body=message)

        assert not again.created and again.job.pk == first.job.pk
        assert again.job.status == JobStatus.SUCCEEDED
        assert DeletionJob.objects.count() == 1

    def test_a_current_preview_token_is_accepted(self, rng):
        target = create_campaign(CampaignSpec(name="Token"), rng)
        token = sign_preview(preview("campaign", target.id))

        outcome = intake.take_request(
            routing_key=CAMPAIGN_KEY, body=encoded(body(campaign_id=target.id, preview_token=token))
        )

        assert wait_for_job(outcome.job.pk).status == JobStatus.SUCCEEDED

    def test_a_tenant_request_makes_a_tenant_job(self, rng):
        tenant = create_tenant(TenantSpec(id="t-m1", name="Message Deli"), rng)
        request_id = uuid.uuid4()
        data = {"tenant_id": tenant.id, "request_id": str(request_id), "user_id": "ops", "timestamp": TIMESTAMP}

        intake.take_request(routing_key="tenant.delete.requested", body=encoded(data))

        job = wait_for_job(request_id)
        assert (job.kind, job.target_id, job.status) == ("tenant", "t-m1", JobStatus.SUCCEEDED)

    def test_two_copies_delivered_at_the_same_moment_make_one_job(self, rng):
        target = create_campaign(CampaignSpec(name="Raced"), rng)
        message = encoded(body(campaign_id=target.id))
        start = threading.Barrier(2)
        outcomes, failures = [], []

        def deliver():
            try:
                start.wait()
                outcomes.append(intake.take_request(routing_key=CAMPAIGN_KEY, body=message))
            except Exception as exc:  # collected: an exception in a thread would not fail the test
                failures.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        assert sorted(o.created for o in outcomes) == [False, True]
        assert outcomes[0].job.pk == outcomes[1].job.pk
        assert DeletionJob.objects.count() == 1
        assert wait_for_job(outcomes[0].job.pk).status == JobStatus.SUCCEEDED

    def test_a_job_id_already_taken_is_refused_by_request_deletion_with_that_job(self, rng):
        target = create_campaign(CampaignSpec(name="Taken id"), rng)
        taken = DeletionJobFactory(target_id="elsewhere", status=JobStatus.SUCCEEDED)

        with pytest.raises(JobIdTaken) as refused:
            jobs.request_deletion(
                kind="campaign",
                target_id=target.id,
                confirmation=jobs.Confirmation(by_message=True),
                job_id=taken.pk,
            )

        assert refused.value.job == taken
        assert DeletionJob.objects.count() == 1

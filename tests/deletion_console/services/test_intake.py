"""Requests by message, at the service: who may send one, what a message must carry, what refuses
it, that one request_id never makes two jobs, and who may approve it."""

import json
import threading
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.models import DeletionJob, JobEvent, JobStatus
from deletion_console.services import approvals, intake, jobs, service_accounts
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.errors import (
    ActiveJobExists,
    ApprovalRefused,
    DeletionRefused,
    InvalidPreviewToken,
    JobIdTaken,
    MalformedRequest,
    PreviewChanged,
    RequestIdReused,
    SenderNotPermitted,
    TargetNotFound,
    UnidentifiedSender,
)
from deletion_console.services.preview import preview
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory, approver, service_account
from tests.fixtures.worker import wait_for_job

CAMPAIGN_KEY = "campaign.delete.requested"
TIMESTAMP = "2026-12-02T17:00:00Z"
# The broker user the broker vouches for as the publisher (the consumer reads it from the message).
SENDER = "orders-service"


@pytest.fixture
def orders(db):
    """The service account requests come from: broker user orders-service, allowed to request."""
    return with_broker_user(service_account("orders")[0], SENDER)


def with_broker_user(account, broker_user):
    account.broker_user = broker_user
    account.save(update_fields=["broker_user"])
    return account


def take(data, *, sender=SENDER, routing_key=CAMPAIGN_KEY):
    return intake.take_request(routing_key=routing_key, body=encoded(data), sender=sender)


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
        (CAMPAIGN_KEY, encoded(body(campaign_id="c-1\x00")), "campaign_id holds a control character (U+0000)."),
        (CAMPAIGN_KEY, encoded(body(campaign_id="c\x1b[2Jx")), "campaign_id holds a control character (U+001B)."),
        (CAMPAIGN_KEY, encoded(body(campaign_id="c-1\u202e")), "campaign_id holds a control character (U+202E)."),
        (CAMPAIGN_KEY, encoded(body(campaign_id="c-\ud800")), "campaign_id holds a control character (U+D800)."),
        (CAMPAIGN_KEY, encoded(body(user_id="42\x00")), "user_id holds a control character (U+0000)."),
        (CAMPAIGN_KEY, encoded(body(preview_token="t\x00")), "preview_token holds a control character (U+0000)."),
        (CAMPAIGN_KEY, encoded(body(padding="x" * 64 * 1024)), "a request is at most 65536."),
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
        "nul-in-campaign-id",
        "escape-in-campaign-id",
        "bidi-override-in-campaign-id",
        "lone-surrogate-in-campaign-id",
        "nul-in-user-id",
        "nul-in-preview-token",
        "body-too-long",
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


@pytest.mark.usefixtures("clean_stores", "transactional_db", "orders")
class TestRefusals:
    """Refused before any job exists, so no worker is needed."""

    def test_a_request_for_an_unknown_campaign_is_refused_as_not_found(self):
        with pytest.raises(TargetNotFound, match="No campaign with id 'missing' was found."):
            take(body(campaign_id="missing"))

        assert not DeletionJob.objects.exists()

    def test_a_request_for_a_target_another_job_is_deleting_is_refused_naming_that_job(self, rng):
        target = create_campaign(CampaignSpec(name="Busy"), rng)
        other = DeletionJobFactory(target_id=target.id)

        with pytest.raises(ActiveJobExists) as refused:
            take(body(campaign_id=target.id))

        assert refused.value.job == other
        assert str(other.pk) in str(refused.value)
        assert DeletionJob.objects.count() == 1

    def test_a_request_id_that_already_names_another_targets_job_is_refused(self, rng):
        target = create_campaign(CampaignSpec(name="Reused"), rng)
        earlier = DeletionJobFactory(target_id="someone-else", status=JobStatus.SUCCEEDED)

        with pytest.raises(RequestIdReused, match="a new request needs a new request_id"):
            take(body(earlier.pk, campaign_id=target.id))

        assert DeletionJob.objects.count() == 1

    def test_a_preview_token_not_signed_by_the_console_is_refused(self, rng):
        target = create_campaign(CampaignSpec(name="Forged"), rng)

        with pytest.raises(InvalidPreviewToken):
            take(body(campaign_id=target.id, preview_token="forged:token"))

    def test_a_preview_token_of_other_counts_is_refused_as_changed(self, rng):
        target = create_campaign(CampaignSpec(name="Changed"), rng)
        other = create_campaign(CampaignSpec(name="Other", events=5), rng)
        token = sign_preview(preview("campaign", other.id))

        with pytest.raises(PreviewChanged):
            take(body(campaign_id=target.id, preview_token=token))

        assert not DeletionJob.objects.exists()


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "transactional_db")
class TestSenders:
    """Refused before the body is read or any store is asked: the sender is no service account's
    that may request deletions."""

    def test_a_message_whose_sender_the_broker_does_not_vouch_for_is_refused(self):
        with pytest.raises(UnidentifiedSender, match="does not say who sent it"):
            take(body(), sender=None)

        assert not DeletionJob.objects.exists()

    def test_a_broker_user_that_is_no_service_accounts_is_refused(self, orders):
        with pytest.raises(UnidentifiedSender, match="Broker user 'campaign-service' is no service account's"):
            take(body(), sender="campaign-service")

    def test_an_account_without_a_broker_user_cannot_be_named_by_an_empty_one(self):
        service_account("no-broker-user")

        with pytest.raises(UnidentifiedSender):
            take(body(), sender="")

    def test_a_revoked_account_is_refused(self, orders):
        service_accounts.revoke(account=orders)

        with pytest.raises(SenderNotPermitted, match="Service account orders .* is revoked"):
            take(body())

    def test_an_account_without_the_permission_to_request_deletions_is_refused(self):
        with_broker_user(service_account("reader", can_delete=False)[0], SENDER)

        with pytest.raises(SenderNotPermitted, match="lacks the permission to request deletions"):
            take(body())

    def test_an_account_whose_scopes_lack_request_on_the_kind_is_refused(self):
        with_broker_user(service_account("tenants-only", scopes={"tenant": ["read", "request"]})[0], SENDER)

        with pytest.raises(SenderNotPermitted, match="scopes do not include request on campaign"):
            take(body())

        assert not DeletionJob.objects.exists()

    def test_the_sender_is_checked_before_the_body(self):
        # Nothing about the target, not even whether the body can be read, is told to a stranger.
        with pytest.raises(UnidentifiedSender):
            intake.take_request(routing_key=CAMPAIGN_KEY, body=b"{not json", sender="stranger")


@pytest.mark.usefixtures("clean_stores", "orders")
class TestApproval:
    """A request by message needs a second person who is neither the service nor the person it names."""

    @pytest.fixture(autouse=True)
    def approval(self, settings):
        settings.DELETION_APPROVAL = {"campaign": {"min_entities": 0}}

    def held_request(self, rng, user_id):
        target = create_campaign(CampaignSpec(name="Held by message"), rng)
        return take(body(campaign_id=target.id, user_id=user_id)).job

    def test_the_person_a_message_names_cannot_approve_it(self, rng):
        job = self.held_request(rng, user_id="Alice")
        alice = approver(username="alice")

        with pytest.raises(ApprovalRefused, match="requested on your behalf"):
            approvals.approve(job.pk, alice)

        job.refresh_from_db()
        assert job.status == JobStatus.AWAITING_APPROVAL and job.approved_by is None

    def test_the_service_that_sent_it_cannot_approve_it(self, rng, orders):
        job = self.held_request(rng, user_id="alice")
        orders.user.user_permissions.add(Permission.objects.get(codename="approve_deletion"))
        service_user = type(orders.user).objects.get(pk=orders.user.pk)

        with pytest.raises(ApprovalRefused, match="You requested this deletion"):
            approvals.approve(job.pk, service_user)

    def test_another_person_approves_it(self, rng):
        job = self.held_request(rng, user_id="alice")
        bob = approver(username="bob")

        job = approvals.approve(job.pk, bob)

        assert job.approved_by == bob and job.status == JobStatus.PENDING


@pytest.mark.worker
@pytest.mark.usefixtures("clean_stores", "celery_worker", "transactional_db", "orders")
class TestJobs:
    def test_a_request_makes_its_job_under_the_request_id_requested_by_the_service_for_the_user(self, rng, orders):
        target = create_campaign(CampaignSpec(name="By message"), rng)
        request_id = uuid.uuid4()

        outcome = take(body(request_id, campaign_id=target.id))

        assert outcome.created and outcome.job.pk == request_id
        job = wait_for_job(request_id)
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert (job.requested_by, job.requested_for) == (orders.user, "42")
        requested = JobEvent.objects.get(job=job, kind="requested")
        assert requested.message == f"by service-orders by message, on behalf of user 42, sent {TIMESTAMP}"

    def test_a_repeated_request_finds_its_job_even_once_it_has_finished_and_makes_no_other(self, rng):
        target = create_campaign(CampaignSpec(name="Twice by message"), rng)
        message = encoded(body(campaign_id=target.id))
        first = intake.take_request(routing_key=CAMPAIGN_KEY, body=message, sender=SENDER)
        wait_for_job(first.job.pk)

        again = intake.take_request(routing_key=CAMPAIGN_KEY, body=message, sender=SENDER)

        assert not again.created and again.job.pk == first.job.pk
        assert again.job.status == JobStatus.SUCCEEDED
        assert DeletionJob.objects.count() == 1

    def test_a_current_preview_token_is_accepted(self, rng):
        target = create_campaign(CampaignSpec(name="Token"), rng)
        token = sign_preview(preview("campaign", target.id))

        outcome = take(body(campaign_id=target.id, preview_token=token))

        assert wait_for_job(outcome.job.pk).status == JobStatus.SUCCEEDED

    def test_a_tenant_request_makes_a_tenant_job(self, rng):
        tenant = create_tenant(TenantSpec(id="t-m1", name="Message Deli"), rng)
        request_id = uuid.uuid4()
        data = {"tenant_id": tenant.id, "request_id": str(request_id), "user_id": "ops", "timestamp": TIMESTAMP}

        take(data, routing_key="tenant.delete.requested")

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
                outcomes.append(intake.take_request(routing_key=CAMPAIGN_KEY, body=message, sender=SENDER))
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

"""Schemathesis against the API: cases generated from the OpenAPI schema, each sent to the real
application (Django's WSGI handler, in this process) with a token that may request deletions,
on top of the real test stores. No answer may be a 5xx, and every answer must match the schema.

The cases run inside the test's transaction, so the jobs they request are never queued and
nothing is deleted; the targets they aim at are seeded here. Path parameters and the preview
token are swapped for seeded ones in part of the cases, so that the requests reach the
services' answers (201, 202, 200, 409...) and not only their 404s.
"""

import hashlib
import logging
import os
import random

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.preview import preview
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import failed_job, running_job, service_account, succeeded_job
from tests.fixtures.stores import reset_stores

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]


@pytest.fixture
def same_connection():
    """What Django's test client does around each request: the handler would otherwise close the
    database connection after every response, and with it the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def targets(django_db_blocker):
    """The stores' side, seeded once for the module: nothing the cases send deletes it."""
    rng = random.Random(1234)
    with django_db_blocker.unblock():
        reset_stores()
        campaign = create_campaign(CampaignSpec(name="Fuzzed Campaign", events=10), rng)
        tenant = create_tenant(TenantSpec(id="t-fuzz", name="Fuzzed Deli"), rng)
        tokens = {kind: sign_preview(preview(kind, t.id)) for kind, t in (("campaign", campaign), ("tenant", tenant))}
    return {"campaign": campaign.id, "tenant": tenant.id, "tokens": tokens}


@pytest.fixture
def seeded(targets, same_connection, settings):
    # Cases arrive faster than any real client; the throttle is tested on its own.
    settings.API_SERVICE_REQUEST_RATE = "100000/min"
    settings.API_PREVIEW_RATE = "100000/min"
    # Schemathesis sends wrong credentials on purpose, case after case: the lock-out is tested on its own too.
    settings.AXES_FAILURE_LIMIT = 100000
    jobs = [running_job(), failed_job(), succeeded_job()]
    _, token = service_account("fuzzer")
    return {**targets, "token": token, "jobs": [str(job.pk) for job in jobs]}


# Loaded at collection, through the application itself (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def _pick(value, choices):
    """One of `choices` for about two generated values in three (decided by the value itself, so
    Hypothesis can shrink and replay it), else the generated value."""
    digest = hashlib.sha256(repr(value).encode()).digest()[0]
    return value if digest % 3 == 0 else choices[digest % len(choices)]


def _aim(case, seeded):
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return  # a request meant to be invalid stays so: it must be refused
    params = case.path_parameters or {}
    for name in ("job_id", "request_id"):
        if name in params:
            params[name] = _pick(params[name], seeded["jobs"])
    if "campaign_id" in params:
        params["campaign_id"] = _pick(params["campaign_id"], [seeded["campaign"]])
    if "tenant_id" in params:
        params["tenant_id"] = _pick(params["tenant_id"], [seeded["tenant"]])
    if "kind" in params:
        params["kind"] = _pick(params["kind"], ["campaign", "tenant"])
    if "target_id" in params:
        kind = params.get("kind", "campaign")
        params["target_id"] = _pick(params["target_id"], [seeded.get(kind, seeded["campaign"])])
    if isinstance(case.body, dict) and "kind" in case.body:
        case.body["kind"] = _pick(case.body["kind"], ["campaign", "tenant"])
        kind = case.body["kind"] if case.body["kind"] in ("campaign", "tenant") else "campaign"
        case.body["target_id"] = _pick(case.body.get("target_id"), [seeded[kind]])
    kind = "tenant" if "tenant_id" in params else "campaign"
    if isinstance(case.body, dict) and "preview_token" in case.body:
        wanted = case.body.get("kind", kind) if case.body.get("kind") in ("campaign", "tenant") else kind
        case.body["preview_token"] = _pick(case.body["preview_token"], [seeded["tokens"][wanted]])
    if case.query and "preview_token" in case.query:
        case.query["preview_token"] = _pick(case.query["preview_token"], [seeded["tokens"]["tenant"]])


# Operations that count the target in every store (a preview, or a request that reaches one)
# cost a few hundred milliseconds a case on the 2-core machine; those on jobs a few.
COUNTING = r"preview|deletion-preview|^/api/deletions/$|/api/v1/delete/campaign/|^/api/v1/tenant/\{tenant_id\}$"
# Hypothesis's examples per operation; schemathesis adds its coverage cases (invalid bodies,
# missing headers...) to them: about 1,050 cases in all for `make test-long` (FUZZ_FULL=1),
# about 600 for `make test`, in half the time.
FULL = os.environ.get("FUZZ_FULL") == "1"
COUNTING_CASES, JOB_CASES = (30, 130) if FULL else (8, 35)
MINIMUM_CASES = 1000 if FULL else 500
SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
}
sent: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def enough_cases():
    yield
    # Only once every operation has run: a run selecting part of them proves nothing in all.
    if len(sent) == sum(len(item) for item in schema.raw_schema["paths"].values()):
        assert sum(sent.values()) >= MINIMUM_CASES, sent


@pytest.fixture
def quiet_refusals():
    """4xx answers are what most cases expect; Django would log a warning for each."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _send(case, seeded):
    _aim(case, seeded)
    # The schema cannot say that `confirm_name` must be the target's name, or that a token must be
    # one this console signed: schema-valid requests may rightly be refused with 400 or 422.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {seeded['token']}"}, excluded_checks=[positive_data_acceptance]
    )
    key = f"{case.operation.method.upper()} {case.operation.path}"
    sent[key] = sent.get(key, 0) + 1


@schema.include(path_regex=COUNTING).parametrize()
@settings(max_examples=COUNTING_CASES, **SETTINGS)
def test_requests_that_count_the_target_never_fail_and_match_the_schema(case, seeded, quiet_refusals):
    _send(case, seeded)


@schema.exclude(path_regex=COUNTING).parametrize()
@settings(max_examples=JOB_CASES, **SETTINGS)
def test_requests_on_jobs_never_fail_and_match_the_schema(case, seeded, quiet_refusals):
    _send(case, seeded)

"""Plans checked against the live schemas of the real stores."""

import dataclasses

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.plan import CAMPAIGN_PLAN
from campaigns.seeding import CampaignSpec, create_campaign
from deletion_console.engine.plan import Step, Together
from deletion_console.engine.sql import SqlRows
from deletion_console.models import JobStatus
from deletion_console.selectors import plan_checks
from deletion_console.services import execution
from deletion_console.services.preview import preview
from deletion_console.stores import mongo
from deletion_console.stores import sql as target_sql
from tenants.plan import TENANT_PLAN
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import deleter, request_deletion
from tests.fixtures import dumps

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]

ATTENDANCE, SESSIONS, MEMBERSHIP = CAMPAIGN_PLAN.items("postgres")
# Sessions before the attendance rows that reference them, which have no ON DELETE CASCADE.
MISORDERED = dataclasses.replace(
    CAMPAIGN_PLAN,
    steps=(*CAMPAIGN_PLAN.steps[:2], Step("postgres", "PostgreSQL", (SESSIONS, ATTENDANCE, MEMBERSHIP))),
)
# The same two tables in steps that run side by side: nothing orders them.
SIDE_BY_SIDE = dataclasses.replace(
    CAMPAIGN_PLAN,
    steps=(
        *CAMPAIGN_PLAN.steps[:2],
        Together(
            "rows", "Rows", (Step("attendance", "Attendance", (ATTENDANCE,)), Step("sessions", "Sessions", (SESSIONS,)))
        ),
    ),
)
MISNAMED = dataclasses.replace(
    CAMPAIGN_PLAN,
    steps=(
        *CAMPAIGN_PLAN.steps[:2],
        Step("postgres", "PostgreSQL", (SqlRows.owned("sessions", "campaign_session", "campaign_id"),)),
    ),
)


@pytest.fixture
def forgotten_table():
    """A service's table that holds tenant_id, which the tenant plan does not know."""
    with target_sql.connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS public.loyalty_points (tenant_id text NOT NULL, points integer)")
    yield "public.loyalty_points"
    with target_sql.connect() as conn:
        conn.execute("DROP TABLE public.loyalty_points")
    plan_checks.forget()


@pytest.fixture
def no_coverage_cache(settings):
    settings.DELETION_COVERAGE_CACHE_SECONDS = 0


def test_the_shipped_plans_match_the_live_schemas():
    for plan in (CAMPAIGN_PLAN, TENANT_PLAN):
        report = plan_checks.check_plan(plan)
        assert report.errors == [] and report.uncovered == [], report


def test_a_parent_deleted_before_the_rows_that_reference_it_is_refused_naming_the_foreign_key():
    problems = plan_checks.blocking_problems(MISORDERED)

    assert len(problems) == 1
    assert "session_attendance_session_id_fkey" in problems[0]
    assert "public.campaign_sessions before postgres.session_attendance" in problems[0]


def test_tables_in_steps_that_run_side_by_side_must_not_reference_each_other():
    (problem,) = plan_checks.blocking_problems(SIDE_BY_SIDE)

    assert "session_attendance_session_id_fkey" in problem


def test_a_table_the_plan_names_that_does_not_exist_is_a_problem():
    assert plan_checks.blocking_problems(MISNAMED) == [
        "table public.campaign_session, named by the campaign plan, does not exist"
    ]


def test_a_job_whose_plan_contradicts_a_foreign_key_fails_before_deleting_anything(settings, rng):
    settings.DELETION_PLANS = {**settings.DELETION_PLANS, "campaign": f"{__name__}.MISORDERED"}
    target = create_campaign(CampaignSpec(name="Misordered", sessions=2), rng)
    before = dumps.all_stores()
    job = request_deletion("campaign", target.id)  # not committed: no worker runs it

    assert execution.run_step(job.pk, "validate") == execution.Outcome.STOP

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "PlanMismatch" in job.error and "session_attendance_session_id_fkey" in job.error
    assert dumps.all_stores() == before  # nothing deleted, and the campaign is not even hidden


def test_an_uncovered_table_holding_the_owner_column_is_reported_by_check_plans(forgotten_table, no_coverage_cache):
    with pytest.raises(CommandError, match="do not match"):
        call_command("check_plans", "tenant")


def test_check_plans_passes_on_the_shipped_plans(capsys):
    call_command("check_plans")

    assert capsys.readouterr().out.splitlines()[:2] == ["campaign: ok", "tenant: ok"]


def test_the_confirm_page_warns_of_data_the_plan_would_leave_behind(client, forgotten_table, no_coverage_cache, rng):
    create_tenant(TenantSpec(id="t-10", name="Forgotten"), rng)
    with target_sql.connect() as conn:
        conn.execute("INSERT INTO public.loyalty_points VALUES ('t-10', 5), ('t-10', 7), ('t-1', 1)")
    client.force_login(deleter(username="dana"))

    found = preview("tenant", "t-10")
    html = client.get(reverse("targets:delete", args=["tenants", "t-10"])).content.decode()

    assert [(gap.store, gap.container, gap.count) for gap in found.left_behind] == [
        ("postgres", "public.loyalty_points", 2)
    ]
    assert "This data would be left behind." in html and "public.loyalty_points</code>: 2" in html


def test_a_previewed_table_that_was_dropped_since_it_was_found_is_no_longer_counted(rng, settings):
    create_tenant(TenantSpec(id="t-10", name="Dropped"), rng)
    with target_sql.connect() as conn:
        conn.execute("CREATE TABLE public.loyalty_points (tenant_id text NOT NULL)")
        conn.execute("INSERT INTO public.loyalty_points VALUES ('t-10')")
    assert len(plan_checks.check_plan(TENANT_PLAN).uncovered) == 1  # found, and kept for a while
    with target_sql.connect() as conn:
        conn.execute("DROP TABLE public.loyalty_points")

    assert preview("tenant", "t-10").left_behind == []


def test_an_uncovered_collection_holding_the_owner_field_is_found(no_coverage_cache, rng):
    create_campaign(CampaignSpec(name="Covered"), rng)
    mongo.database()["campaign_notes"].insert_one({"campaign_id": "c-1", "text": "forgotten"})
    try:
        uncovered = plan_checks.check_plan(CAMPAIGN_PLAN).uncovered
    finally:
        mongo.database()["campaign_notes"].drop()

    assert [(c.store, c.name) for c in uncovered] == [("mongodb", "game.campaign_notes")]

"""What a token's scopes allow, and the scopes a service account may be given."""

import pytest

from deletion_console.selectors.service_accounts import token_has_kind, token_may
from deletion_console.services import service_accounts
from tests.factories import service_account

pytestmark = pytest.mark.django_db


def test_a_scope_allows_its_actions_on_its_kind_only():
    account, _ = service_account("campaign-service", scopes={"campaign": ["read", "resume"]})

    assert token_may(account, kind="campaign", action="resume")
    assert not token_may(account, kind="campaign", action="request")
    assert not token_may(account, kind="tenant", action="read")
    assert token_has_kind(account, "campaign") and not token_has_kind(account, "tenant")


def test_a_kinds_orphan_clean_up_follows_that_kinds_scopes():
    account, _ = service_account("campaign-service", scopes={"campaign": ["request"]})

    assert token_may(account, kind="campaign-orphans", action="request")
    assert not token_may(account, kind="tenant-orphans", action="request")


def test_scopes_are_stored_in_the_plans_and_actions_order_without_empty_kinds():
    account, _ = service_account("campaign-service", scopes={})

    service_accounts.set_scopes(account=account, scopes={"tenant": ["resume", "read"], "campaign": []})

    account.refresh_from_db()
    assert account.scopes == {"tenant": ["read", "resume"]}


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ({"planet": ["read"]}, "No deletion plan for kind\\(s\\) planet; known kinds: campaign, tenant"),
        ({"campaign": ["destroy"]}, "Unknown token action\\(s\\) destroy; known: read, preview, request"),
    ],
)
def test_a_kind_no_plan_declares_or_an_action_no_token_has_is_refused(scopes, message):
    account, _ = service_account("campaign-service", scopes={"campaign": ["read"]})

    with pytest.raises(ValueError, match=message):
        service_accounts.set_scopes(account=account, scopes=scopes)

    account.refresh_from_db()
    assert account.scopes == {"campaign": ["read"]}

"""The tenant list: the registry in the target database, a page at a time, with row counts."""

import pytest

from tenants import selectors
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import DeletionJobFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def test_rows_are_counted_per_tenant_over_the_tables_that_carry_its_id(rng):
    create_tenant(TenantSpec(id="t-1", name="Small", rows=2), rng)
    create_tenant(TenantSpec(id="t-10", name="Larger", rows=7), rng)

    page = selectors.tenant_page()

    # 13 of the 16 service tables carry tenant_id; the other 3 are reached through a parent.
    assert [(row.id, row.name, row.rows) for row in page.rows] == [("t-1", "Small", 26), ("t-10", "Larger", 91)]
    assert all(row.created_at is not None for row in page.rows)


def test_search_finds_an_exact_id_or_the_start_of_a_name_but_not_a_prefix_of_an_id(rng):
    for spec in (TenantSpec(id="t-1", name="Harbour Bakery"), TenantSpec(id="t-10", name="harbour_deli")):
        create_tenant(spec, rng)

    assert [r.id for r in selectors.tenant_page(query="t-1").rows] == ["t-1"]
    assert selectors.tenant_page(query="t-1").matched_id
    assert [r.id for r in selectors.tenant_page(query="HARBOUR").rows] == ["t-1", "t-10"]
    assert [r.id for r in selectors.tenant_page(query="harbour_").rows] == ["t-10"]  # _ is no wildcard
    assert selectors.tenant_page(query="t-").rows == []


def test_pages_walk_forward_and_back_by_id(rng, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    for n in range(5):
        create_tenant(TenantSpec(id=f"t-{n}", name=f"Tenant {n}", rows=1), rng)

    first = selectors.tenant_page()
    second = selectors.tenant_page(after=first.next_cursor)
    third = selectors.tenant_page(after=second.next_cursor)
    back = selectors.tenant_page(before=third.previous_cursor)

    assert [[r.id for r in p.rows] for p in (first, second, third)] == [["t-0", "t-1"], ["t-2", "t-3"], ["t-4"]]
    assert first.has_next and not first.has_previous and not third.has_next and third.has_previous
    assert [r.id for r in back.rows] == ["t-2", "t-3"]


def test_a_tenant_being_deleted_carries_its_job(rng):
    create_tenant(TenantSpec(id="t-1", name="Going"), rng)
    job = DeletionJobFactory(kind="tenant", target_id="t-1")

    (row,) = selectors.tenant_page().rows

    assert row.job == job and row.is_deleting

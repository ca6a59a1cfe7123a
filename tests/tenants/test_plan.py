"""The tenant plan is only a declaration: the same engine deletes a tenant from every service."""

import pytest

from deletion_console.models import JobStatus
from deletion_console.services.preview import preview
from tenants.seeding import TenantSpec, create_tenant
from tests.factories import request_deletion
from tests.fixtures import dumps
from tests.fixtures.worker import wait_for_job

pytestmark = pytest.mark.usefixtures("clean_stores")


@pytest.mark.django_db
def test_tenant_preview_counts_every_service(rng):
    tenant = create_tenant(TenantSpec(id="t-preview", name="Preview Ltd"), rng)

    assert preview("tenant", tenant.id).counts == tenant.counts


@pytest.mark.worker
@pytest.mark.usefixtures("celery_worker", "transactional_db")
def test_a_tenant_is_deleted_from_every_service_and_neighbours_and_suppliers_stay(rng):
    create_tenant(TenantSpec(id="t-neighbour", name="Neighbour Ltd", suppliers=("sup-1", "sup-2")), rng)
    before = dumps.all_stores()
    tenant = create_tenant(TenantSpec(id="t-target", name="Target Ltd", suppliers=("sup-1", "sup-3")), rng)

    job = wait_for_job(request_deletion("tenant", tenant.id).pk)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.counts == tenant.counts
    after = dumps.all_stores()
    supplier_sup3 = [n for n in after["neo4j"]["nodes"] if '"sup-3"' in n]
    assert supplier_sup3, "a supplier only the deleted tenant bought from is shared and must stay"
    after["neo4j"]["nodes"] = [n for n in after["neo4j"]["nodes"] if n not in supplier_sup3]
    assert after == before

"""`manage.py sweep_orphans`: a sweep now, recorded, its counts printed; nothing deleted."""

import pytest
from django.core.management import call_command

from deletion_console.models import DeletionJob, OrphanSweep
from tests.fixtures import dumps
from tests.fixtures.orphans import orphaned_tenant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_stores")]


def test_prints_the_orphans_per_kind_store_and_entity_records_the_sweep_and_deletes_nothing(rng, capsys):
    orphaned_tenant(rng, "t-crashed")
    before = dumps.all_stores()

    call_command("sweep_orphans")
    out = capsys.readouterr().out

    assert "tenants: 72 orphaned entities of 1 gone tenants" in out
    assert "campaigns: 0 orphaned entities" in out
    assert any(line.split()[-2:] == ["Tenant", "1"] for line in out.splitlines())
    assert OrphanSweep.objects.get().findings["tenant"]["refs"] == ["t-crashed"]
    assert dumps.all_stores() == before and not DeletionJob.objects.exists()

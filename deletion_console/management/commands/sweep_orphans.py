"""Look for orphaned data now, as beat does daily, and print what was found (README "Orphaned data")."""

from django.core.management.base import BaseCommand, CommandError

from deletion_console.engine.orphans import orphan_kind
from deletion_console.engine.plan import get_plan
from deletion_console.services.orphans import run_sweep
from deletion_console.web.presenters import in_plan_order


class Command(BaseCommand):
    help = (
        "Look for data whose campaign or tenant no longer exists in its home store, record the sweep "
        "(the Orphans page shows it) and print the counts per kind, store and entity. Deletes nothing, "
        "unless ORPHAN_CLEANUP_AUTOMATIC is on (then it requests the clean-up jobs, as beat would)."
    )

    def handle(self, *args, **options):
        sweep = run_sweep()
        if sweep.error:
            raise CommandError(f"The sweep did not finish: {sweep.error}")
        self.stdout.write(f"Sweep {sweep.pk}: {sweep.seconds:.1f} s")
        for owner_kind, found in sweep.findings.items():
            plan = get_plan(owner_kind)
            capped = " (the first ones only: ORPHAN_SWEEP_MAX_OWNERS)" if found["capped"] else ""
            self.stdout.write(
                f"{plan.plural}: {found['total']} orphaned entities of {found['owners']} gone {plan.plural}{capped}"
            )
            for row in in_plan_order(orphan_kind(owner_kind), found["counts"]):
                if row.n:
                    self.stdout.write(f"  {row.store_label:<11} {row.step_label:<15} {row.entity:<28} {row.n:>10}")
        for owner_kind, job_id in sweep.cleanup_jobs.items():
            self.stdout.write(f"Clean-up of orphaned {owner_kind} data requested: job {job_id}")

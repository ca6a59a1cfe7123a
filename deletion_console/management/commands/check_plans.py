"""Check every deletion plan (or the kinds given) against the live stores."""

from django.core.management.base import BaseCommand, CommandError

from deletion_console.engine.plan import UnknownKind, get_plan
from deletion_console.engine.plan import kinds as all_kinds
from deletion_console.selectors.plan_checks import check_plan
from deletion_console.stores.registry import label


class Command(BaseCommand):
    help = (
        "Check deletion plans against the live schemas: SQL delete order against foreign keys, that "
        "everything named exists, and data holding the owner field that no plan item covers. "
        "Exits non-zero on a problem or an uncovered container."
    )

    def add_arguments(self, parser):
        parser.add_argument("kinds", nargs="*", help="Kinds to check (default: every kind with a plan).")

    def handle(self, *args, kinds=(), **options):
        failed = []
        for kind in kinds or all_kinds():
            try:
                plan = get_plan(kind)
            except UnknownKind as exc:
                raise CommandError(str(exc)) from exc
            report = check_plan(plan)
            self.stdout.write(f"{kind}: {'ok' if report.ok else 'PROBLEMS'}")
            for error in report.errors:
                self.stdout.write(f"  error: {error}")
            for container in report.uncovered:
                owner = plan.coverage.field
                self.stdout.write(
                    f"  uncovered: {label(container.store)} {container.name} holds {owner} but no plan item deletes "
                    "from it: its data would be left behind"
                )
            for warning in report.warnings:
                self.stdout.write(f"  warning: {warning}")
            if not report.ok:
                failed.append(kind)
        if failed:
            raise CommandError(f"The plans for {', '.join(failed)} do not match the live stores (see above).")

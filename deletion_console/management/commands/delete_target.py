"""Delete a target of any kind from the command line, through the same services as the console."""

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from deletion_console.engine.plan import UnknownKind, get_plan, kinds
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobStatus
from deletion_console.selectors.jobs import get_job
from deletion_console.services import jobs
from deletion_console.services.confirmation import sign_preview
from deletion_console.services.errors import DeletionRefused
from deletion_console.services.preview import preview
from deletion_console.web.presenters import in_plan_order


class Command(BaseCommand):
    help = "Preview, delete, resume or cancel the deletion of a target (a campaign, a tenant, ...)."
    kind = None  # a shorthand command fixes it (delete_campaign)

    def add_arguments(self, parser):
        if self.kind is None:
            parser.add_argument("target_kind", nargs="?", help=f"The kind of target: {', '.join(kinds())}.")
        parser.add_argument("target_id", nargs="?", help="The target's id.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be deleted and stop.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for the target's name to confirm.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends; exit 0 on success.")
        parser.add_argument("--resume", metavar="JOB_ID", help="Resume a failed or cancelled job.")
        parser.add_argument("--cancel", metavar="JOB_ID", help="Cancel a pending or running job.")

    def handle(self, *args, target_id=None, dry_run=False, yes=False, wait=False, resume=None, cancel=None, **options):
        try:
            if cancel:
                job = jobs.cancel(_job_id(cancel))
                self.stdout.write(f"Cancel requested for job {job.pk}; it stops after the current batch.")
                return
            if resume:
                job = jobs.resume(_job_id(resume))
                self.stdout.write(f"Resumed job {job.pk} from step {job.current_phase}.")
            else:
                job = self._request(self.kind or options.get("target_kind"), target_id, dry_run, yes)
                if job is None:
                    return
        except DeletionRefused as exc:
            raise CommandError(f"{exc} Nothing was deleted.") from exc
        if wait:
            self._wait(job)

    def _request(self, kind, target_id, dry_run, yes):
        if not kind or not target_id:
            raise CommandError("Give a kind and a target id, or --resume JOB_ID, or --cancel JOB_ID.")
        try:
            plan = get_plan(kind)
        except UnknownKind as exc:
            raise CommandError(str(exc)) from exc
        found = preview(kind, target_id)
        self._print_preview(plan, found)
        if dry_run:
            self.stdout.write("Dry run: nothing was deleted.")
            return None
        # --yes is the operator's own confirmation: the name shown above, as if typed.
        typed = found.label if yes else input(f"Type the {plan.noun}'s name ({found.label}) to delete it: ")
        confirmation = jobs.Confirmation(typed, shown=sign_preview(found))
        job = jobs.request_deletion(kind=kind, target_id=target_id, confirmation=confirmation)
        self.stdout.write(f"Deletion job {job.pk} started.")
        return job

    def _print_preview(self, plan, found):
        state = "" if found.exists else f"  (the {plan.noun} itself is already gone)"
        self.stdout.write(f"{plan.noun.capitalize()} {found.label!r} [{found.target_id}]{state}")
        rows = in_plan_order(plan.kind, found.counts)
        step_width = max((len(row.step_label) for row in rows), default=5)
        width = max((len(row.entity) for row in rows), default=6)
        self.stdout.write(f"  {'Step':<{step_width}} {'Store':<11} {'Entity':<{width}} {'Count':>12}")
        for row in rows:
            columns = f"{row.step_label:<{step_width}} {row.store_label:<11} {row.entity:<{width}}"
            self.stdout.write(f"  {columns} {row.n:>12,}")
        self.stdout.write(f"  {'Total':<{step_width}} {'':<11} {'':<{width}} {found.total:>12,}")
        for kept in found.kept:
            self.stdout.write(f"  Kept: {kept}")
        for gap in found.left_behind:
            where = f"{gap.store_label} {gap.container}"
            self.stdout.write(f"  Left behind (no plan item covers it): {where}: {gap.count:,}")

    def _wait(self, job: DeletionJob):
        interactive = sys.stdout.isatty()
        last = None
        while True:
            job = get_job(job.pk)
            line = _progress_line(job)
            if interactive:
                self.stdout.write("\r" + line.ljust(100), ending="")
                self.stdout.flush()
            elif line != last:
                self.stdout.write(line)
            last = line
            if job.status in TERMINAL_STATUSES:
                break
            time.sleep(0.5)
        if interactive:
            self.stdout.write("")
        self._print_outcome(job)

    def _print_outcome(self, job: DeletionJob):
        for warning in job.warnings:
            self.stdout.write(f"Warning: {warning}")
        if job.status != JobStatus.SUCCEEDED:
            hint = f" Resume with: manage.py delete_target --resume {job.pk}" if job.is_resumable else ""
            raise CommandError(f"Job {job.pk} {job.status}. {job.error}{hint}")
        self.stdout.write(self.style.SUCCESS(f"Deleted {job.total_deleted:,} entities; verified zero residue."))


def _progress_line(job: DeletionJob) -> str:
    filled = int(job.progress / 5)
    bar = "#" * filled + "-" * (20 - filled)
    counts = f"{job.total_deleted:,}/{job.total_expected:,}"
    return f"[{bar}] {job.progress:5.1f}%  {job.status:<9} {job.current_phase:<9} {counts}"


def _job_id(value: str):
    try:
        return DeletionJob.objects.only("pk").get(pk=value).pk
    except (DeletionJob.DoesNotExist, ValidationError, ValueError) as exc:
        raise CommandError(f"No deletion job with id {value!r}.") from exc

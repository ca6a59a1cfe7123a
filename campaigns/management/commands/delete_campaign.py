"""Delete a campaign from the command line, through the same services as the web console."""

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from deletion_console.engine.plan import STORE_LABELS
from deletion_console.models import TERMINAL_STATUSES, DeletionJob, JobStatus
from deletion_console.selectors.jobs import get_job
from deletion_console.services import jobs
from deletion_console.services.confirmation import mismatch_message, name_matches
from deletion_console.services.preview import preview


class Command(BaseCommand):
    help = "Preview, delete, resume or cancel the deletion of a campaign."

    def add_arguments(self, parser):
        parser.add_argument("campaign_id", nargs="?", help="The campaign's _id (ObjectId hex or legacy string).")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be deleted and stop.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for the campaign's name to confirm.")
        parser.add_argument("--wait", action="store_true", help="Show progress until the job ends; exit 0 on success.")
        parser.add_argument("--resume", metavar="JOB_ID", help="Resume a failed or cancelled job.")
        parser.add_argument("--cancel", metavar="JOB_ID", help="Cancel a pending or running job.")

    def handle(self, *args, campaign_id=None, dry_run=False, yes=False, wait=False, resume=None, cancel=None, **kw):
        try:
            if cancel:
                job = jobs.cancel(_job_id(cancel))
                self.stdout.write(f"Cancel requested for job {job.pk}; it stops after the current batch.")
                return
            if resume:
                job = jobs.resume(_job_id(resume))
                self.stdout.write(f"Resumed job {job.pk} from step {job.current_step}.")
            else:
                job = self._request(campaign_id, dry_run, yes)
                if job is None:
                    return
        except jobs.DeletionRefused as exc:
            raise CommandError(str(exc)) from exc
        if wait:
            self._wait(job)

    def _request(self, campaign_id, dry_run, yes):
        if not campaign_id:
            raise CommandError("Give a campaign id, or --resume JOB_ID, or --cancel JOB_ID.")
        found = preview("campaign", campaign_id)
        self._print_preview(found)
        if dry_run:
            self.stdout.write("Dry run: nothing was deleted.")
            return None
        if not yes:
            typed = input(f"Type the campaign's name ({found.label}) to delete it: ")
            if not name_matches(found, typed):
                raise CommandError(f"{mismatch_message(found)} Nothing was deleted.")
        job = jobs.request_deletion(kind="campaign", target_id=campaign_id, confirmed=found)
        self.stdout.write(f"Deletion job {job.pk} started.")
        return job

    def _print_preview(self, found):
        state = "" if found.exists else "  (the campaign document is already gone)"
        self.stdout.write(f"Campaign {found.label!r} [{found.target_id}]{state}")
        rows = [(STORE_LABELS[s], entity, n) for s, entities in found.counts.items() for entity, n in entities.items()]
        width = max((len(entity) for _, entity, _ in rows), default=6)
        self.stdout.write(f"  {'Store':<11} {'Entity':<{width}} {'Count':>12}")
        for store, entity, n in rows:
            self.stdout.write(f"  {store:<11} {entity:<{width}} {n:>12,}")
        self.stdout.write(f"  {'Total':<11} {'':<{width}} {found.total:>12,}")
        for kept in found.kept:
            self.stdout.write(f"  Kept: {kept}")

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
            resume_hint = (
                f" Resume with: manage.py delete_campaign --resume {job.pk}" if job.status != "cancelled" else ""
            )
            raise CommandError(f"Job {job.pk} {job.status}. {job.error}{resume_hint}")
        self.stdout.write(self.style.SUCCESS(f"Deleted {job.total_deleted:,} entities; verified zero residue."))


def _progress_line(job: DeletionJob) -> str:
    filled = int(job.progress / 5)
    bar = "#" * filled + "-" * (20 - filled)
    counts = f"{job.total_deleted:,}/{job.total_expected:,}"
    return f"[{bar}] {job.progress:5.1f}%  {job.status:<9} {job.current_step:<9} {counts}"


def _job_id(value: str):
    try:
        return DeletionJob.objects.only("pk").get(pk=value).pk
    except (DeletionJob.DoesNotExist, ValidationError, ValueError) as exc:
        raise CommandError(f"No deletion job with id {value!r}.") from exc

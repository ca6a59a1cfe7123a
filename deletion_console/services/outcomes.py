"""What a stopped job has left behind, in words: for its error, its warnings and the pages."""

from deletion_console.engine.plan import Plan
from deletion_console.models import DeletionJob, StepState


def removed_summary(job: DeletionJob, plan: Plan) -> str:
    removed = job.total_deleted
    if not removed:
        return "Nothing had been removed."
    parts = [
        f"{step.label} {sum(job.counts.get(step.name, {}).values()):,}"
        for step in plan.deletion_steps
        if sum(job.counts.get(step.name, {}).values())
    ]
    return f"Already removed {removed:,} entities ({', '.join(parts)}); the rest remains until the job is resumed."


def state_of_data(job: DeletionJob, plan: Plan) -> str:
    """Say which steps' data is already gone and which still holds the target's data."""
    states = {step.name: job.step_state(step.name) for step in plan.deletion_steps}
    labels = {step.name: step.label for step in plan.deletion_steps}
    done = [labels[s] for s, state in states.items() if state == "done"]
    stopped = [s for s, state in states.items() if state in ("failed", "cancelled", "running", "retrying")]
    untouched = [labels[s] for s, state in states.items() if state == "pending"]
    if job.current_phase == "verify":
        return "All deletion steps ran, but residue was found; resume the job to delete it and verify again."
    if not done and not stopped:
        return "Nothing has been deleted yet; the job can be resumed or requested again."
    head = f"{' and '.join(done)} data removed; " if done else ""
    remains = "; ".join(
        f"{labels[s]} step {states[s]}: {labels[s]} data of this {plan.noun} remains"
        if states[s] == "failed"
        else f"{labels[s]} step stopped: part of its data remains"
        for s in stopped
    )
    later = f"; {', '.join(untouched)} not yet touched" if untouched else ""
    return f"{head}{remains}{later} until the job is resumed."


def phase_error(job: DeletionJob, plan: Plan, phase) -> str:
    """The job's error once a phase ended with failed steps: which, why, and how many succeeded."""
    failed = [
        f"{name} step failed: {job.step(name).last_error or 'unknown error'}"
        for name in phase.step_names
        if job.step_state(name) == StepState.FAILED
    ]
    if len(phase.steps) == 1:
        return failed[0]
    done = sum(job.step_state(name) == StepState.DONE for name in phase.step_names)
    return f"{done} of {len(phase.steps)} {plan.step_noun}s done; " + "; ".join(failed)

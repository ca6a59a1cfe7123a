"""The typed-name guard in front of every deletion: the confirm page, the API and the CLI."""

from django.core import signing

from deletion_console.services.preview import Preview


def name_matches(preview: Preview, typed: str) -> bool:
    # Exact and case-sensitive, like the guard GitHub puts on deleting a repository; only
    # whitespace around the name is forgiven, because it is invisible in the field.
    return bool(typed) and typed.strip() == preview.label.strip()


def mismatch_message(preview: Preview) -> str:
    return f"The name you typed does not match. Type “{preview.label}” exactly to confirm."


# The counts a person was shown travel with their confirmation, signed, so that a job is only
# created against the numbers they actually saw.
_SALT = "deletion-console.preview"
PREVIEW_SIGNATURE_MAX_AGE = 3600


def sign_preview(preview: Preview) -> str:
    return signing.dumps({"target": preview.target_id, "counts": preview.counts}, salt=_SALT)


def shown_preview_is_current(token: str, preview: Preview) -> bool:
    try:
        shown = signing.loads(token, salt=_SALT, max_age=PREVIEW_SIGNATURE_MAX_AGE)
    except signing.BadSignature:
        return False
    return shown == {"target": preview.target_id, "counts": preview.counts}


def changed_message() -> str:
    return "What would be deleted has changed since this page was opened. Review the counts below and confirm again."

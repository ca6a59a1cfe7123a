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


# The label is signed too: a service, which cannot type the name, confirms the one it was shown.
def _shown(preview: Preview) -> dict:
    return {"target": preview.target_id, "label": preview.label, "counts": preview.counts}


def sign_preview(preview: Preview) -> str:
    return signing.dumps(_shown(preview), salt=_SALT)


def shown_preview_is_current(token: str, preview: Preview) -> bool:
    try:
        shown = signing.loads(token, salt=_SALT, max_age=PREVIEW_SIGNATURE_MAX_AGE)
    except signing.BadSignature:
        return False
    return shown == _shown(preview)


def signed_by_us(token: str) -> bool:
    """Whether the token is one this console signed, expired or not (an expired one is a
    preview that is out of date, not a forgery)."""
    try:
        signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return False
    return True


def changed_message() -> str:
    return "What would be deleted has changed since this page was opened. Review the counts below and confirm again."

"""The typed-name guard in front of every deletion: the confirm page, the API and the CLI."""

from deletion_console.services.preview import Preview


def name_matches(preview: Preview, typed: str) -> bool:
    # Exact and case-sensitive, like the guard GitHub puts on deleting a repository; only
    # whitespace around the name is forgiven, because it is invisible in the field.
    return bool(typed) and typed.strip() == preview.label.strip()


def mismatch_message(preview: Preview) -> str:
    return f"The name you typed does not match. Type “{preview.label}” exactly to confirm."

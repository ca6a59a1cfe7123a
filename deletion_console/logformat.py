"""The two shapes of a log line (LOG_FORMAT): one JSON object a line, or a line for a terminal.

Both show the fields bound by `deletion_console.logcontext` (a handler needs its
`JobContextFilter` for them to be there).
"""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed by the caller in `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "context", "bound"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        line.update(getattr(record, "context", {}))
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)


class ConsoleFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(bound)s")

    def format(self, record: logging.LogRecord) -> str:
        context = getattr(record, "context", {})
        record.bound = (" [" + " ".join(f"{k}={v}" for k, v in context.items()) + "]") if context else ""
        return super().format(record)

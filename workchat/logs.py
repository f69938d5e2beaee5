"""Logging set-up: one JSON object per line in ``prod``, readable lines in ``dev``.

Request and operation lines go to the ``workchat.access`` logger with their fields in
``extra={"fields": {...}}``; the formatters put those fields in the JSON object (or after the
message in dev). The fields are chosen where they are logged (request id, operation name,
viewer id, duration, outcome): variables, headers and bodies are never logged, so passwords
and tokens cannot reach the log.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["json", "text"]
ACCESS = logging.getLogger("workchat.access")
# Where an ASGI scope's ``state`` keeps the request id and what GraphQL learned about it.
REQUEST_ID_KEY = "request_id"
OPERATION_KEY = "graphql_operation"

# Attributes every LogRecord has; anything else a caller passed in ``extra`` is a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "fields"}


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    fields = dict(getattr(record, "fields", None) or {})
    for key, value in record.__dict__.items():
        if key not in _STANDARD and not key.startswith("_") and key not in ("color_message",):
            fields.setdefault(key, value)
    return fields


def request_id_of(scope: MutableMapping[str, Any]) -> str:
    """The request's id, given once per HTTP request or WebSocket (the outermost
    middleware asks first, so everything after sees the same id)."""
    state = scope.setdefault("state", {})
    request_id = state.get(REQUEST_ID_KEY)
    if not isinstance(request_id, str):
        request_id = state[REQUEST_ID_KEY] = uuid.uuid4().hex
    return request_id


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(fields_of(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = fields_of(record)
        if fields:
            text += "  " + " ".join(f"{key}={value}" for key, value in fields.items())
        return text


def configure(log_format: LogFormat, level: str = "info", stream: TextIO | None = None) -> None:
    """Send every logger (uvicorn's too) through one handler on stderr."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # each start's plugin chatter
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True

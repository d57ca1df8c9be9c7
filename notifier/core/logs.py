"""Logging without patient data (docs/security.md, "Logs"). A database error can carry a patient's data beyond its
first line: PostgreSQL's DETAIL ("Failing row contains (..., DUPONT, ...)", "Key (...)=(..., 123456)") and, without
the engine's hide_parameters, the statement's parameters. So failures are logged as their type, the first line of
their message and the traceback's frames (where it failed, not with what)."""

import logging
import traceback


def short_error(error: BaseException) -> str:
    """Type and first line of an error: never the statement's parameters nor the database's DETAIL lines."""
    original = getattr(error, "orig", None) or error
    first_line = (str(original).strip().splitlines() or [""])[0]
    return f"{type(original).__name__}: {first_line}"[:300]


def log_failure(logger: logging.Logger, message: str, *args, error: BaseException) -> None:
    """`message % args`, the short error and the frames of its traceback, at level ERROR."""
    frames = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    logger.error(message + ": %s\n%s", *args, short_error(error), frames)

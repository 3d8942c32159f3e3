"""Logging of the dashboard's own packages, and shortening of user input echoed in messages.

Streamlit configures only its own `streamlit` loggers, and Python's fallback handler prints
WARNING and above without a time, so without `configure_logging` the INFO records of failed
logins, sign-outs, lockouts and recorded actions would be lost.
"""

from __future__ import annotations

import logging
import sys

# Top-level packages of this project whose records the dashboard writes.
PACKAGES = ("dashboard", "store", "queries", "etl")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Handlers that configure_logging adds carry this name, so that a rerun finds them.
HANDLER_NAME = "dashboard.logs"
# Maximum length, in characters, of a user value that a message or log record repeats.
ECHO_MAX_CHARS = 40
ELLIPSIS = "…"


class _CurrentStderrHandler(logging.StreamHandler):
    """A handler that writes to sys.stderr as it is at each record, not as it was at setup.

    pytest replaces sys.stderr while it captures output, after app.py may have run.
    """

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: int = logging.INFO) -> None:
    """Send the project packages' records at `level` and above to stderr, with a timestamp.

    Streamlit runs app.py again on every rerun, so a package that already has this module's
    handler is left as it is. Records still propagate to the root logger, which has no
    handler unless a host program adds one (pytest's caplog does).
    """
    formatter = logging.Formatter(LOG_FORMAT)
    for package in PACKAGES:
        logger = logging.getLogger(package)
        logger.setLevel(level)
        if any(handler.get_name() == HANDLER_NAME for handler in logger.handlers):
            continue
        handler = _CurrentStderrHandler()
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(formatter)
        logger.addHandler(handler)


def shorten(value: object, max_chars: int = ECHO_MAX_CHARS) -> str:
    """Return `value` as text of at most `max_chars` characters, ending in … when cut.

    Use it for every user-supplied value (a URL parameter, a user name) that a message or log
    record repeats, so a value of thousands of characters cannot fill the page or the log.
    """
    text = str(value)
    if len(text) <= max_chars:
        return text
    return text[: max_chars - len(ELLIPSIS)] + ELLIPSIS

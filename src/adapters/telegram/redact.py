"""Keep bot tokens out of log lines, exception messages and reprs."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

REDACTED = "<token>"

# Any bot token, also one we were not told about: "<digits>:<35ish url-safe chars>".
_ANY_TOKEN = re.compile(r"(?<!\d)\d{5,}(?::|%3A)[A-Za-z0-9_-]{20,}")


def redact(text: str, token: str | None = None) -> str:
    """`text` with `token` (raw or percent-encoded) and anything shaped like a token replaced."""
    if token:
        for form in {token, quote(token, safe=""), quote(token)}:
            text = text.replace(form, REDACTED)
    return _ANY_TOKEN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A stdlib logging filter: httpx logs every request URL, and ours carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction(*logger_names: str) -> None:
    """Attach the redacting filter (once) to loggers that may print request URLs (httpx's)."""
    for name in logger_names or ("httpx",):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)

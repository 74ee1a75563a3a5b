"""Text a database can hold. PostgreSQL's text refuses NUL and every UTF-8 encoder refuses a
lone surrogate, yet JSON can carry both (`\\u0000`, `\\ud800`)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """What a provider sent, made storable: each such character becomes U+FFFD. An id that
    needed it no longer matches anything of ours, so it is refused as unknown, not crashed on."""
    return UNSTORABLE.sub("\ufffd", text)


Received = Annotated[str, AfterValidator(storable)]

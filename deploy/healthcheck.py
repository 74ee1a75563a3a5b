"""The container's health check: exit 0 when Starport's /readyz answers 200 (the database
answers and is migrated), else 1. Standard library only; `STARPORT_PORT` as the server reads it."""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('STARPORT_PORT', '8000')}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return 0 if answer.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())

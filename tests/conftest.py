"""Settings for the whole test run."""

import os

# Bot messages go out before a request answers, so a test sees them without waiting
# (production sends them in the background: see STARPORT_OUTBOX_DISPATCH).
os.environ.setdefault("STARPORT_OUTBOX_DISPATCH", "inline")

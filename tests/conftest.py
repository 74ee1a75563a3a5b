"""Settings and checks for the whole test run."""

import os

import pytest
from features.drivers import http_watch

from starport.sandbox.telegram import state as _sandbox_state

# Bot messages go out before a request answers, so a test sees them without waiting
# (production sends them in the background: see STARPORT_OUTBOX_DISPATCH).
os.environ.setdefault("STARPORT_OUTBOX_DISPATCH", "inline")

# Every sandbox Telegram any test starts is watched: a test fails if Starport sent it a call off
# the Bot API spec. The sandbox's own tests send such calls on purpose and are left out.
_original_init = _sandbox_state.SandboxTelegram.__init__


def _watched_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _original_init(self, *args, **kwargs)
    http_watch.watch(self)


_sandbox_state.SandboxTelegram.__init__ = _watched_init  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _bot_api_spec_check(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    http_watch.forget()
    yield
    if "sandbox_telegram" in str(request.node.path):
        http_watch.discard()
        return
    problem = http_watch.check()
    if problem is not None:
        pytest.fail(problem, pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    line = http_watch.summary_once()
    if line is not None:
        terminalreporter.write_line(line)

"""The Bot API spec check: every sandbox Telegram a test starts is watched, and the test fails
when Starport sent it any call off the spec (or the sandbox itself answered off the spec)."""

from __future__ import annotations

from typing import Any

_watched: list[Any] = []  # SandboxTelegram instances of the running test
_totals = {"sandboxes": 0, "calls": 0, "violations": 0}
_summarised = False


def watch(sandbox: Any) -> None:
    if any(s is sandbox for s in _watched):
        return
    _watched.append(sandbox)
    _totals["sandboxes"] += 1


def violations() -> list[str]:
    """What the sandboxes watched since the last `forget()` found wrong, one line each."""
    found = []
    for sandbox in _watched:
        found += [f"{v.method}: {v.description} ({v.params})" for v in sandbox.spec_violations]
        found += [f"sandbox output off the spec: {v}" for v in sandbox.result_violations]
    return found


def forget() -> None:
    """Count the finished test's calls and stop watching its sandboxes."""
    for sandbox in _watched:
        _totals["calls"] += len(sandbox.calls)
    _totals["violations"] += len(violations())
    _watched.clear()


def discard() -> None:
    """Stop watching without counting (a test that breaks the spec on purpose)."""
    _watched.clear()


def check() -> str | None:
    """Why the finished test must fail (None: every call passed the spec); forgets either way."""
    problems = violations()
    forget()
    if not problems:
        return None
    return "Starport's calls to the sandbox Telegram broke the Bot API spec:\n  " + "\n  ".join(
        problems
    )


def summary_once() -> str | None:
    """One line for the terminal summary of the run (only the first caller gets it)."""
    global _summarised
    if _summarised or not _totals["sandboxes"]:
        return None
    _summarised = True
    return (f"Bot API spec check: {_totals['calls']} calls to {_totals['sandboxes']} sandbox "
            f"Telegram(s), {_totals['violations']} violation(s)")

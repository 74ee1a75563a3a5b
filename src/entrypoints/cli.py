"""The `starport` command: serve, migrate, manage the Telegram webhook, run jobs, edit messages."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from starport.entrypoints.config import StarportConfig, describe
from starport.entrypoints.failures import known_failure
from starport.entrypoints.telegram.bot_commands import BOT_COMMANDS, MENU_BUTTON_TEXT


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        config = StarportConfig()
    except ValidationError as exc:
        for line in describe(exc):
            print(f"starport: configuration error: {line}", file=sys.stderr)
        return 2
    from starport.entrypoints.observability import configure_logging

    configure_logging(config.starport_log_format, config.starport_log_level,
                      secrets=config.secrets)
    try:
        result: int = args.run(config, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = known_failure(exc)
        if message is None:
            raise  # a bug: the traceback is what is needed
        print(f"starport: {message}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="starport", description=__doc__)
    p.add_argument("--version", action="version", version=f"starport {_version()}")
    sub = p.add_subparsers()

    serve = sub.add_parser("serve", help="run the HTTP server (and the scheduled jobs)")
    serve.add_argument("--host", help="address to listen on (default: STARPORT_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default: STARPORT_PORT)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes (PostgreSQL only; default 1)")
    serve.add_argument("--no-jobs", action="store_true", help="do not run scheduled jobs here")
    serve.add_argument("--migrate", action="store_true",
                       help="migrate the database first (else a database not at the latest "
                            "migration is refused)")
    serve.set_defaults(run=_serve)

    doctor = sub.add_parser("doctor", help="check the database, tokens, webhook, commands, "
                                           "channel rights and catalog; exit 1 on a failure")
    doctor.add_argument("--json", action="store_true", help="the checks as JSON")
    doctor.set_defaults(run=_doctor)
    db = sub.add_parser("db", help="database migrations").add_subparsers()
    up = db.add_parser("upgrade", help="apply migrations (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(run=_db_upgrade)
    down = db.add_parser("downgrade", help="revert migrations to a revision")
    down.add_argument("revision")
    down.set_defaults(run=_db_downgrade)

    tg = sub.add_parser("telegram", help="the bot's webhook and commands").add_subparsers()
    sw = tg.add_parser("set-webhook", help="point Telegram at URL (the webhook route)")
    sw.add_argument("url")
    sw.add_argument("--drop-pending", action="store_true")
    sw.set_defaults(run=_set_webhook)
    tg.add_parser("webhook-info").set_defaults(run=_telegram("webhook-info"))
    dw = tg.add_parser("delete-webhook")
    dw.add_argument("--drop-pending", action="store_true")
    dw.set_defaults(run=_telegram("delete-webhook"))
    tg.add_parser("set-commands").set_defaults(run=_telegram("set-commands"))

    poll = sub.add_parser("poll", help="long-poll Telegram instead of a webhook (local dev)")
    poll.add_argument("--delete-webhook", action="store_true",
                      help="remove a webhook that is set (Telegram refuses polling otherwise)")
    poll.add_argument("--no-jobs", action="store_true")
    poll.set_defaults(run=_poll)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers()
    jobs.add_parser("list").set_defaults(run=_jobs_list)
    run = jobs.add_parser("run", help="run one job once and print its counts")
    run.add_argument("name")
    run.set_defaults(run=_jobs_run)
    jobs.add_parser("schedule", help="run every job on its interval").set_defaults(
        run=_jobs_schedule)

    msgs = sub.add_parser("messages", help="the bot's admin-editable texts").add_subparsers()
    language = argparse.ArgumentParser(add_help=False)
    language.add_argument("--language", default=None,
                          help="a language code (en, ru, pt-br); default: the default language "
                               "(for history: every language)")
    msgs.add_parser("list", parents=[language]).set_defaults(run=_messages("list"))
    show = msgs.add_parser("show", parents=[language])
    show.add_argument("key")
    show.set_defaults(run=_messages("show"))
    st = msgs.add_parser("set", parents=[language])
    st.add_argument("key")
    st.add_argument("--file", required=True, type=Path, help="the new text ('-' for stdin)")
    st.add_argument("--parse-mode", choices=["HTML", "MarkdownV2"], default=None)
    st.add_argument("--by", default="cli")
    st.set_defaults(run=_messages("set"))
    rs = msgs.add_parser("reset", parents=[language])
    rs.add_argument("key")
    rs.add_argument("--by", default="cli")
    rs.set_defaults(run=_messages("reset"))
    hist = msgs.add_parser("history", parents=[language])
    hist.add_argument("key")
    hist.set_defaults(run=_messages("history"))

    cr = sub.add_parser("credits", help="a user's credits").add_subparsers()
    adj = cr.add_parser("adjust", help="grant (+N) or take (-N) credits with a reason, once "
                                       "per --key (a ledger entry of kind adjustment)")
    adj.add_argument("user_id")
    adj.add_argument("credits", type=int, help="+50 grants, -20 takes")
    adj.add_argument("--reason", required=True)
    adj.add_argument("--key", help="idempotency key (default: a new one: not repeatable)")
    adj.add_argument("--by", default="cli", help="who, for the audit trail")
    adj.add_argument("--allow-debt", action="store_true")
    adj.set_defaults(run=_credits_adjust)

    ev = sub.add_parser("events", help="events sent to the host app (STARPORT_EVENTS_URL)"
                        ).add_subparsers()
    ev.add_parser("secret", help="print a new STARPORT_EVENTS_SECRET (whsec_...)"
                  ).set_defaults(run=_events_secret)
    ls = ev.add_parser("list", help="events, newest first")
    ls.add_argument("--status", choices=["pending", "sent", "failed"])
    ls.add_argument("--user", help="one host user's events")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(run=_events_list)
    rsd = ev.add_parser("resend", help="send one event again now (the same webhook-id)")
    rsd.add_argument("event_id")
    rsd.set_defaults(run=_events_resend)
    return p


def _credits_adjust(config: StarportConfig, args: argparse.Namespace) -> int:
    import secrets

    from starport.application import commands as c
    from starport.domain.errors import DomainError

    async def work(runtime: Any) -> int:
        try:
            result = await runtime.bus.handle(c.AdjustCredits(
                user_id=args.user_id, credits=args.credits, reason=args.reason,
                idempotency_key=args.key or secrets.token_urlsafe(16), requested_by=args.by,
                allow_debt=args.allow_debt))
        except DomainError as exc:
            print(f"starport: {exc.message}", file=sys.stderr)
            return 1
        _print({"userId": args.user_id, "balance": result.balance, "adjusted": args.credits,
                "replayed": result.replayed})
        return 0

    return _with_runtime(config, work)


def _events_secret(config: StarportConfig, args: argparse.Namespace) -> int:
    import base64
    import secrets

    print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
    return 0


def _events_list(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.application import event_log
    from starport.application.effects import OutboxStatus
    from starport.entrypoints.http.events import serialize_event

    query = event_log.EventQuery(status=OutboxStatus(args.status) if args.status else None,
                                 user_id=args.user, limit=max(1, min(args.limit, 500)))

    async def work(runtime: Any) -> int:
        _print([serialize_event(i) for i in await event_log.find_events(runtime.deps, query)])
        return 0

    return _with_runtime(config, work)


def _events_resend(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.application import commands as c
    from starport.domain.errors import EventNotFound
    from starport.entrypoints.http.events import serialize_event

    async def work(runtime: Any) -> int:
        try:
            item = await runtime.bus.handle(c.ResendEvent(args.event_id, "cli"))
        except EventNotFound as exc:
            print(f"starport: {exc}", file=sys.stderr)
            return 1
        _print(serialize_event(item))
        return 0 if item.status.value == "sent" else 1

    return _with_runtime(config, work)


def _raise_open_files_limit() -> int:
    """Every connection is a file descriptor: the soft limit (often 1,024) up to the hard one.
    Returns the limit now in force."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = 1_048_576 if hard == resource.RLIM_INFINITY else hard
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed
        return 1024


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("starport")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _with_runtime(config: StarportConfig, work: Callable[[Any], Awaitable[int]]) -> int:
    from starport.entrypoints.container import build_runtime

    async def go() -> int:
        runtime = build_runtime(config)
        try:
            return await work(runtime)
        finally:
            await runtime.aclose()

    return asyncio.run(go())


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def _serve(config: StarportConfig, args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from starport.entrypoints.http.asgi import JOBS_ENV, serving_app

    if args.host or args.port:  # the flags win over the environment, in every worker too
        os.environ.update({k: str(v) for k, v in (("STARPORT_HOST", args.host),
                                                   ("STARPORT_PORT", args.port)) if v})
        try:
            config = StarportConfig()
        except ValueError as exc:
            print(f"starport: configuration error: {exc}", file=sys.stderr)
            return 2
    if args.workers < 1:
        print("starport: --workers is at least 1", file=sys.stderr)
        return 2
    if args.workers > 1 and (config.sqlite or config.sandbox):
        print("starport: --workers needs PostgreSQL (and no sandbox): SQLite takes one writer "
              "at a time, so more processes would only queue on its lock, and the sandbox's "
              "emulators live in one process. Serve SQLite with one worker.", file=sys.stderr)
        return 2
    from starport.entrypoints.checks import preflight

    preflight(config, migrate_it=args.migrate)  # StartRefused: one line, from main()
    from starport.entrypoints.http.protocol import GuardedHttpToolsProtocol

    open_files = _raise_open_files_limit()
    options = {"host": config.starport_host, "port": config.starport_port,
               "log_config": None, "access_log": False, "proxy_headers": True,
               "loop": "uvloop", "http": GuardedHttpToolsProtocol,
               "limit_concurrency": config.starport_max_connections or max(
                   64, min(10_000, open_files - 128)),  # leave descriptors for the rest
               "timeout_keep_alive": 5}
    if config.sandbox:
        print(f"SANDBOX MODE: emulated Telegram and Crypto Pay on {config.base_url} — "
              "nothing here takes real money; see README 'Try a purchase'", file=sys.stderr)
        if config.generated_admin_token:
            print(f"CONSOLE: {config.base_url}/admin — sign in with the admin token "
                  f"{config.generated_admin_token} (made up for this run; set "
                  "STARPORT_ADMIN_TOKEN to keep one)", file=sys.stderr)
    if args.workers > 1:
        from starport.entrypoints.http.workers import PortInUse, Workers, listening_socket

        os.environ[JOBS_ENV] = "0" if args.no_jobs else "1"
        try:
            listener = listening_socket(config.starport_host, config.starport_port)
        except PortInUse as exc:
            print(f"starport: {exc.strerror}", file=sys.stderr)
            return 1
        return Workers(options, listener, args.workers).run()
    from starport.entrypoints.observability import configure_logging

    configure_logging(config.starport_log_format, config.starport_log_level,
                      secrets=config.secrets, keep_loggers=True)  # this process serves now
    server = uvicorn.Server(uvicorn.Config(serving_app(config, jobs=not args.no_jobs),
                                           **options))  # type: ignore[arg-type]
    sock = server.config.bind_socket()  # a busy port fails here, before any job starts
    server.run(sockets=[sock])
    return 0


def _poll(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.entrypoints.jobs.scheduler import run_schedule
    from starport.entrypoints.telegram.polling import WebhookIsSet, poll, prepare

    async def work(runtime: Any) -> int:
        try:
            await prepare(runtime, args.delete_webhook)
        except WebhookIsSet as exc:
            print(f"starport: {exc}", file=sys.stderr)
            return 2
        stop = asyncio.Event()
        jobs = None if args.no_jobs else asyncio.create_task(run_schedule(runtime, stop))
        print("polling Telegram for updates (Ctrl-C to stop)", file=sys.stderr)
        try:
            await poll(runtime, stop)
        finally:
            stop.set()
            if jobs is not None:
                await jobs
        return 0

    return _with_runtime(config, work)


def _db_upgrade(config: StarportConfig, args: argparse.Namespace) -> int:
    if config.starport_repository == "memory":
        print("STARPORT_REPOSITORY=memory: nothing to migrate")
        return 0
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # before alembic logs on import
    from starport.adapters.sql.migrate import upgrade

    upgrade(config.database_url, args.revision, config.starport_default_language)
    print(f"database at {args.revision}")
    return 0


def _db_downgrade(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.adapters.sql.migrate import downgrade

    downgrade(config.database_url, args.revision, config.starport_default_language)
    print(f"database at {args.revision}")
    return 0


def _set_webhook(config: StarportConfig, args: argparse.Namespace) -> int:
    if not config.telegram_webhook_secret:
        print("starport: set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses unsigned updates",
              file=sys.stderr)
        return 2

    from starport.entrypoints.telegram.polling import ALLOWED_UPDATES

    async def work(runtime: Any) -> int:
        ok = await runtime.telegram.set_webhook(
            args.url, secret_token=config.telegram_webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=args.drop_pending or None)
        print("webhook set" if ok else "Telegram refused the webhook")
        return 0 if ok else 1

    return _with_runtime(config, work)


def _telegram(action: str) -> Callable[[StarportConfig, argparse.Namespace], int]:
    def run(config: StarportConfig, args: argparse.Namespace) -> int:
        async def work(runtime: Any) -> int:
            if action == "webhook-info":
                _print(await runtime.telegram.get_webhook_info())
            elif action == "delete-webhook":
                await runtime.telegram.delete_webhook(
                    drop_pending_updates=args.drop_pending or None)
                print("webhook deleted")
            elif config.starport_bot_mode == "payments":
                print("STARPORT_BOT_MODE=payments: the commands are your own bot's; none set")
            else:
                from starport.adapters.telegram.objects import BotCommand, WebAppMenuButton

                await runtime.telegram.set_my_commands(
                    [BotCommand(name, text) for name, text in BOT_COMMANDS])
                print("commands set: " + ", ".join(f"/{n}" for n, _ in BOT_COMMANDS))
                if config.starport_miniapp_url:
                    await runtime.telegram.set_chat_menu_button(
                        WebAppMenuButton(MENU_BUTTON_TEXT, config.starport_miniapp_url))
                    print(f"menu button set: {MENU_BUTTON_TEXT!r} opens "
                          f"{config.starport_miniapp_url}")
            return 0

        return _with_runtime(config, work)

    return run


def _doctor(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.entrypoints import doctor

    async def work(runtime: Any) -> int:
        checks = await doctor.run_checks(config, runtime)
        if args.json:
            _print(doctor.as_json(checks))
        else:
            for check in checks:
                print(check.line())
        hint = doctor.hint(config, checks)
        if hint:
            print(f"starport: {hint}", file=sys.stderr)
        return 1 if any(c.status == doctor.FAIL for c in checks) else 0

    return _with_runtime(config, work)


def _jobs_list(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.entrypoints.jobs.registry import job_table

    async def work(runtime: Any) -> int:
        for job in await job_table(runtime):
            every = (f"every {job['intervalSeconds']:g}s" if job["intervalSeconds"]
                     else "on demand")
            if not job["runs"]:
                last = "never run"
            else:
                result = f"failed: {job['lastError']}" if job["lastError"] else "ok " + " ".join(
                    f"{k}={v}" for k, v in dict(job["lastCounts"]).items())  # type: ignore[call-overload]
                last = f"last {job['lastStartedAt']} {result.strip()}"
            following = f"; next {job['nextRunAt']}" if job["nextRunAt"] else ""
            print(f"{job['name']:28} {every:12} {last}{following}")
        return 0

    return _with_runtime(config, work)


def _jobs_run(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.entrypoints.jobs.registry import JOBS, run_job

    if args.name not in JOBS:
        print(f"starport: unknown job {args.name!r}; jobs: {', '.join(JOBS)}", file=sys.stderr)
        return 2

    async def work(runtime: Any) -> int:
        counts = await run_job(runtime, args.name)
        _print({"job": args.name, "counts": counts.counts})
        if counts["already_running_elsewhere"]:
            print(f"starport: {args.name} is running elsewhere; nothing done", file=sys.stderr)
            return 75  # EX_TEMPFAIL: try again later
        return 0

    return _with_runtime(config, work)


def _jobs_schedule(config: StarportConfig, args: argparse.Namespace) -> int:
    from starport.entrypoints.jobs.scheduler import run_schedule

    async def work(runtime: Any) -> int:
        await run_schedule(runtime)
        return 0

    return _with_runtime(config, work)


def _messages(action: str) -> Callable[[StarportConfig, argparse.Namespace], int]:
    def run(config: StarportConfig, args: argparse.Namespace) -> int:
        from dataclasses import asdict

        from starport.application import bot_messages as bm
        from starport.application import commands as c
        from starport.domain.errors import DomainError

        async def work(runtime: Any) -> int:
            deps, bus = runtime.deps, runtime.bus
            try:
                if action == "list":
                    for view in await bm.list_bot_messages(deps, args.language):
                        flag = ("falls back" if view.falls_back else "default"
                                if view.is_default else f"edited by {view.updated_by}")
                        print(f"{view.key:24} {view.language:6} {flag:24} {view.purpose}")
                elif action == "show":
                    _print(asdict(await bm.get_bot_message(deps, args.key, args.language)))
                elif action == "set":
                    text = (sys.stdin.read() if str(args.file) == "-"
                            else args.file.read_text(encoding="utf-8"))
                    view = await bus.handle(c.UpdateBotMessage(
                        args.key, text.rstrip("\n"), args.parse_mode, args.by, args.language))
                    _print(asdict(view))
                elif action == "reset":
                    _print(asdict(await bus.handle(c.ResetBotMessage(args.key, args.by,
                                                                     args.language))))
                else:
                    _print([asdict(h) for h in await bm.bot_message_history(
                        deps, args.key, language_code=args.language)])
            except DomainError as exc:
                print(f"starport: {exc.message}", file=sys.stderr)
                return 1
            return 0

        return _with_runtime(config, work)

    return run


if __name__ == "__main__":
    sys.exit(main())

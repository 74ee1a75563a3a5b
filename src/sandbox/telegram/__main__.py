"""Run the sandbox Telegram alone: `python -m starport.sandbox.telegram --port 8081`."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from starport.sandbox.telegram.app import create_app
from starport.sandbox.telegram.ratelimit import Limits
from starport.sandbox.telegram.state import DEFAULT_BOT_TOKEN, SandboxTelegram


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m starport.sandbox.telegram",
                                     description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--no-limits", action="store_true", help="turn the flood limits off")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sandbox = SandboxTelegram(limits=Limits(enabled=not args.no_limits))
    base = f"http://{args.host}:{args.port}"
    bot_id = DEFAULT_BOT_TOKEN.split(":", 1)[0]
    print(f"Bot API base URL: {base}  (default bot id {bot_id}; any <id>:<35 chars> token works)")
    print(f"Controls: {base}/_sandbox/")
    uvicorn.run(create_app(sandbox), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

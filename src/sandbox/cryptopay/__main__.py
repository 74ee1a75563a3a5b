"""Run the Crypto Pay sandbox alone: `python -m starport.sandbox.cryptopay --port 8082`."""

from __future__ import annotations

import argparse

import uvicorn

from starport.sandbox.cryptopay.app import create_app
from starport.sandbox.cryptopay.emulator import DEFAULT_TOKEN, SandboxCryptoPay


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m starport.sandbox.cryptopay",
                                     description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the app token clients must send")
    parser.add_argument("--webhook-url", default=None, help="where invoice_paid updates go")
    args = parser.parse_args(argv)
    sandbox = SandboxCryptoPay(args.token, webhook_url=args.webhook_url)
    # A sandbox token is not a secret: print it so a developer can point a client here.
    print(f"Crypto Pay sandbox: http://{args.host}:{args.port}/api token={args.token}")
    uvicorn.run(create_app(sandbox), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()

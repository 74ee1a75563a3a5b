"""The HTTP entrypoint: Telegram and Crypto Pay webhooks, the REST and admin APIs, operations."""

from starport.entrypoints.http.app import create_app

__all__ = ["create_app"]

"""Implementations of the application's ports: Telegram, Crypto Pay, SQL, memory, clock, ids."""

"""Entrypoints: the HTTP server, the job scheduler, the CLI and the one composition root."""

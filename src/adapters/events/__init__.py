"""The host app's event endpoint: signed HTTP deliveries (Standard Webhooks)."""

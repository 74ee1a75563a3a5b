"""Helpers a host's own bot imports to live beside Starport; nothing in Starport imports them."""

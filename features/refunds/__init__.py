"""Refunds by an admin and refunds the provider reports."""

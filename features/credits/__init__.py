"""Spending credits from the ledger."""

"""The pure model of Starport: money, catalog, payment sessions, ledger, perks, bot messages."""

"""What admins change: the bot's messages."""

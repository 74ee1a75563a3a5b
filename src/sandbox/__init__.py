"""Emulators of the outside world (the Telegram Bot API...) over real HTTP; not in the hexagon."""

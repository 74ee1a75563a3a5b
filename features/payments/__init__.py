"""Buying credit packages: Stars through the bot or a Mini App, Crypto Pay."""

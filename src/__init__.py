"""Starport: payments and perks for Telegram bots, Mini Apps and web apps.

The source folders (domain, application, adapters, entrypoints, sandbox) are the packages
`starport.domain`, `starport.application`, ...: `pkg/starport` points at this folder.
"""

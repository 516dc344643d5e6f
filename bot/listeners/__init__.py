"""Bolt listeners: thin handlers that ack, call into commands/, render with bot/blocks, and post."""

"""Persistence: typed SQLAlchemy models and session factories shared by the bot and the workers."""

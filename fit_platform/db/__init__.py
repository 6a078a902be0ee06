"""Persistence: SQLAlchemy 2 typed models and the session helper. No business rules here."""

from fit_platform.db.base import Base
from fit_platform.db.session import Database

__all__ = ["Base", "Database"]

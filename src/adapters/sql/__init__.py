"""SQL persistence (SQLAlchemy Core, async): SQLite embedded, PostgreSQL in production."""

from adapters.sql.database import SqlDatabase
from adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlDatabase", "SqlUnitOfWork"]

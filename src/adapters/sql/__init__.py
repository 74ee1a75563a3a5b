"""SQL persistence (SQLAlchemy Core, async): SQLite embedded, PostgreSQL in production."""

from starport.adapters.sql.database import SqlDatabase
from starport.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = ["SqlDatabase", "SqlUnitOfWork"]

# An env.py as applications write it: the URL comes from the application's
# settings, never from alembic.ini or DATABASE_URL.
from alembic import context
from sqlalchemy import create_engine, pool

from app import settings

target_metadata = None


def run_migrations_online():
    engine = create_engine(settings.DATABASE_URL, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()

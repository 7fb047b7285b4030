"""Enough tables for the exporter to compile them in two processes, with
what both halves would emit for the whole MetaData (enum types shared by
tables in each half, a standalone sequence) and an FK cycle (use_alter)."""
import sqlalchemy as sa

metadata = sa.MetaData()
shared_mood = sa.Enum("sad", "ok", "happy", name="shared_mood", metadata=metadata)
per_table_level = sa.Enum("low", "high", name="level")
sa.Sequence("invoice_numbers", start=1000, metadata=metadata)

N = 240
for i in range(N):
    columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, server_default="x"),
        sa.Column("mood", shared_mood),
        sa.Column("prev_id", sa.ForeignKey(f"t{i - 1}.id") if i else sa.Integer),
    ]
    if i in (3, N - 3):
        columns.append(sa.Column("level", per_table_level))
    if i == 0:
        columns.append(sa.Column("last_id", sa.ForeignKey(f"t{N - 1}.id", use_alter=True, name="fk_t0_last")))
    sa.Table(f"t{i}", metadata, *columns, sa.Index(f"ix_t{i}_name", "name"))

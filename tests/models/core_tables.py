import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

authors = sa.Table(
    "authors", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, comment="pen name"),
    sa.Column("born", sa.Date),
    comment="people who write",
)
books = sa.Table(
    "books", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(start=10), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("author_id", sa.ForeignKey("authors.id", ondelete="CASCADE"), nullable=False),
    sa.Column("price", sa.Numeric(10, 2), server_default="0"),
    sa.Column("tags", sa.JSON, default=list),
    sa.Column("meta", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.Column("created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("price >= 0", name="ck_books_price"),
    sa.UniqueConstraint("author_id", "title", name="uq_books_author_title"),
    sa.Index("ix_books_title_lower", sa.func.lower(sa.text("title"))),
)

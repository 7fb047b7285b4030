import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Account(Base):
    __tablename__ = "account"
    __table_args__ = {"schema": "billing", "comment": "billing accounts"}
    id = sa.Column(sa.Integer, primary_key=True)
    owner = sa.Column(sa.String(50), nullable=False)


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (sa.Index("ix_invoice_due", "due", postgresql_where=sa.text("paid = false")), {"schema": "billing"})
    id = sa.Column(sa.Integer, primary_key=True)
    account_id = sa.Column(sa.Integer, sa.ForeignKey("billing.account.id"))
    due = sa.Column(sa.Date)
    paid = sa.Column(sa.Boolean, nullable=False, server_default=sa.false())


class Audit(Base):
    __tablename__ = "audit"
    id = sa.Column(sa.Integer, primary_key=True)
    account_id = sa.Column(sa.Integer, sa.ForeignKey("billing.account.id"))
    what = sa.Column(sa.Text)
    tags = sa.Column(sa.ARRAY(sa.String(20)))

import datetime
import enum
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


class Status(enum.Enum):
    open = "open"
    shipped = "shipped"


class Author(TimestampMixin, Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    books: Mapped[List["Book"]] = relationship(back_populates="author", lazy="selectin")


class Book(TimestampMixin, Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


student_course = sa.Table(
    "student_course", Base.metadata,
    sa.Column("student_id", sa.ForeignKey("student.id"), primary_key=True),
    sa.Column("course_id", sa.ForeignKey("course.id"), primary_key=True),
    sa.Column("enrolled", sa.Date),
    sa.Column("grade", sa.String(2)),
)


class Student(Base):
    __tablename__ = "student"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(100), unique=True)
    courses: Mapped[List["Course"]] = relationship(secondary=student_course)


class Course(Base):
    __tablename__ = "course"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credits: Mapped[int] = mapped_column(default=3)


class Order(Base):
    __tablename__ = "order"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[Status] = mapped_column(sa.Enum(Status, name="order_status"), default=Status.open)
    note: Mapped[Optional[str]]
    items: Mapped[List["OrderItem"]] = relationship()

    @hybrid_property
    def total(self):
        return sum(i.qty * i.price for i in self.items)


class OrderItem(Base):
    __tablename__ = "order_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"))
    qty: Mapped[int] = mapped_column(sa.CheckConstraint("qty > 0", name="positive"))
    price: Mapped[float] = mapped_column(sa.Numeric(10, 2))
    extra: Mapped[Optional[dict]] = mapped_column(sa.JSON, default=dict)

# Names and text that break naive quoting: quotes of both kinds, a
# backslash, a newline, triple quotes, unicode, reserved words.
import sqlalchemy as sa

metadata = sa.MetaData()

mood = sa.Enum("it's", 'say "hi"', "back\\slash", "new\nline", name="Mo'od \"x\"")

sa.Table(
    'Tbl "1"', metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("select", sa.String(20), server_default="it's", comment='say """ and \\ and \n'),
    sa.Column("naïve ünïcödé", sa.Text),
    sa.Column("m", mood),
    sa.CheckConstraint("\"select\" <> 'x''y'", name="ck 'q' \"dq\""),
    comment='table """ comment\nwith a newline',
)
sa.Table(
    "order", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tbl_id", sa.Integer, sa.ForeignKey('Tbl "1".id', name='fk "order" \\ tbl')),
    sa.Column("group", sa.Integer),
    sa.Index('ix "group"\nline', "group", unique=True),
)

# Carried inside the migdiff binary: imports the project's SQLAlchemy
# models and writes their DDL, compiled by SQLAlchemy itself for the target
# dialect, on stdout. migdiff reads that DDL like any declared schema.
import importlib
import sys


def main():
    module_name, attr, dialect_url = sys.argv[1], sys.argv[2], sys.argv[3]
    for p in sys.argv[4:]:
        if p not in sys.path:
            sys.path.insert(0, p)
    import sqlalchemy as sa

    module = importlib.import_module(module_name)
    target = module
    for part in attr.split("."):
        target = getattr(target, part)
    targets = target if isinstance(target, (list, tuple)) else [target]
    metadatas = []
    for t in targets:
        md = t if isinstance(t, sa.MetaData) else getattr(t, "metadata", None)
        if not isinstance(md, sa.MetaData):
            raise SystemExit(f"{module_name}:{attr} is not a MetaData or a declarative Base")
        metadatas.append(md)
    out = []

    def executor(sql, *a, **k):
        out.append(str(sql.compile(dialect=engine.dialect)).strip() + ";")

    engine = sa.create_mock_engine(dialect_url, executor)
    for md in metadatas:
        md.create_all(engine, checkfirst=False)
    sys.stdout.write("\n\n".join(out) + "\n")


main()

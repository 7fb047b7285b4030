# Carried inside the migdiff binary: imports the project's SQLAlchemy
# models and writes their DDL, compiled by SQLAlchemy itself for the target
# dialect, on stdout. migdiff reads that DDL like any declared schema.
#
# The DDL cannot carry two things Alembic renders from the models, so a
# last line `-- migdiff-hints: {json}` adds them: the constraint and index
# names a naming convention produced (Alembic renders them as op.f(...)),
# and the model-level spelling of column types the DDL flattens (SQLite's
# DATETIME for DateTime(timezone=True), VARCHAR for Unicode, ...).
import gc
import importlib
import json
import os
import re
import sys

# The exporter builds a large object graph once and exits: the cyclic
# garbage collector only costs time here (a third of the import of a
# 1,000-table module), and so does tearing the graph down at exit.
gc.disable()

HINTS_MARKER = "-- migdiff-hints: "
DEPS_MARKER = "-- migdiff-deps: "
NESTED_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\(")


def unsorted_tables_and_constraints(tables, filter_fn=None, _warn_for_cycles=False):
    """What create_all needs from sort_tables_and_constraints, in linear time.

    migdiff reads the whole DDL before resolving references, so creation
    order does not matter; SQLAlchemy's sort is quadratic on long FK chains.
    Constraints marked use_alter are still emitted as ALTER TABLE at the end.
    """
    tables = list(tables)
    later = [fk for t in tables for fk in t.foreign_key_constraints if fk.use_alter]
    now = [(t, [fk for fk in t.foreign_key_constraints if not fk.use_alter]) for t in tables]
    return now + [(None, later)]


def sa_enum_create_type(sa):
    """Whether sa.Enum takes create_type (SQLAlchemy 2.1 and later)."""
    major_minor = tuple(int(p) for p in re.findall(r"\d+", sa.__version__)[:2])
    return major_minor >= (2, 1)


def enum_hint(column_type, native_types, sa_enum):
    """A plain sa.Enum, spelled as the model does, where the script can use it.

    The script creates and drops a native enum type itself (Alembic's
    inline spelling leaves the type behind on downgrade and fails when the
    type exists), so the column says create_type=False; SQLAlchemy before
    2.1 only takes that on postgresql.ENUM, which is then used instead.
    A non-native enum whose CHECK the script writes as its own constraint
    keeps the DDL's VARCHAR, or create_table would add the CHECK twice.
    """
    text = repr(column_type)
    if not text.startswith("Enum(") or "\n" in text or "<" in text:
        return None
    if native_types and column_type.native_enum:
        if not sa_enum:
            return None
        if "create_type=" not in text:
            text = text[:-1] + ", create_type=False)"
        return {"code": "sa." + text}
    if getattr(column_type, "create_constraint", False):
        return None
    return {"code": "sa." + text}


def array_hint(column_type):
    """sa.ARRAY(sa.Integer()): Alembic prefixes the item type too."""
    item = column_type.item_type
    if type(item).__module__ != "sqlalchemy.sql.sqltypes":
        return None  # a dialect or enum item: the DDL's spelling is used
    try:
        outer, inner = repr(column_type), repr(item)
    except Exception:
        return None
    prefix = "ARRAY(" + inner
    if not outer.startswith(prefix) or "<" in outer or "\n" in outer:
        return None
    if NESTED_CALL.search(inner, inner.index("(") + 1):
        return None
    return {"code": "sa.ARRAY(sa." + outer[len("ARRAY(") :]}


def type_hint(sa, column_type, native_types, sa_enum):
    """The type as Alembic renders it from a model, when the DDL loses it.

    native_types: the target has named types (PostgreSQL); sa_enum: this
    SQLAlchemy's sa.Enum takes create_type.
    """
    if getattr(column_type, "_variant_mapping", None):
        return None  # with_variant(): the dialect's own type is in the DDL
    if type(column_type) is sa.Enum:
        return enum_hint(column_type, native_types, sa_enum)
    if type(column_type) is sa.ARRAY:
        return array_hint(column_type)
    # Boolean can create a CHECK of its own, and the script writes it as
    # its own constraint, so the DDL's plain type is used; so are enums of
    # other classes and postgresql.ARRAY (the DDL spells it as Alembic does).
    if isinstance(column_type, (sa.Enum, sa.Boolean, sa.ARRAY)):
        return None
    module = type(column_type).__module__
    try:
        text = repr(column_type)
    except Exception:
        return None
    name = type(column_type).__name__
    if not text.startswith(name + "(") or "<" in text or "\n" in text:
        return None
    # A nested type in the arguments (astext_type=Text()) would need its own
    # prefix; the DDL-based spelling already matches Alembic for those.
    if NESTED_CALL.search(text, len(name) + 1):
        return None
    if module.startswith("sqlalchemy.dialects."):
        return None
    if module.startswith("sqlalchemy."):
        return {"code": "sa." + text}
    if module == "__main__" or not module:
        return None
    return {"code": module + "." + text, "import": "import " + module}


SIMPLE = (str, int, float, bool, type(None))


def python_literal(value):
    """repr() of a plain value (str, number, list, dict of them), else None."""
    if isinstance(value, SIMPLE):
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [python_literal(v) for v in value]
        if None in items:
            return None
        return ("[%s]" if isinstance(value, list) else "(%s,)" if len(items) == 1 else "(%s)") % ", ".join(items)
    if isinstance(value, dict):
        items = [(python_literal(k), python_literal(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{%s}" % ", ".join(f"{k}: {v}" for k, v in items)
    return None


def other_dialect_kwargs(sa, index, target):
    """The index's options for dialects other than `target`, as Python
    source the way Alembic renders them: SQL expressions as sa.text() of
    their SQL for that dialect, plain values as literals. One migrations
    folder often serves several databases; each keeps its options."""
    out = []
    for key, value in sorted(index.dialect_kwargs.items()):
        dialect_name = key.split("_", 1)[0]
        if dialect_name == target or value is None:
            continue
        if isinstance(value, sa.sql.ClauseElement):
            try:
                module = importlib.import_module("sqlalchemy.dialects." + dialect_name)
                sql = str(value.compile(
                    dialect=module.dialect(),
                    compile_kwargs={"literal_binds": True, "include_table": False},
                ))
            except Exception:
                continue
            out.append([key, "sa.text(%r)" % sql])
        else:
            code = python_literal(value)
            if code is not None:
                out.append([key, code])
    return out


def hints(sa, metadatas, native_types, target):
    sa_enum = native_types and sa_enum_create_type(sa)
    conv = sa.sql.elements.conv
    final_names = set()
    column_types = []
    index_kwargs = []
    # repr() of a type inspects its constructor's signature: slow enough to
    # matter for 10,000 columns, and most columns share a few spellings.
    memo = {}
    for md in metadatas:
        for table in md.tables.values():
            named = list(table.constraints) + list(table.indexes)
            for column in table.columns:
                named.extend(column.constraints)  # CHECKs given on a column
            for item in named:
                if isinstance(item.name, conv):
                    final_names.add(str(item.name))
            for index in table.indexes:
                kwargs = other_dialect_kwargs(sa, index, target) if index.dialect_kwargs else []
                if kwargs and index.name:
                    index_kwargs.append(
                        {"schema": table.schema, "table": table.name, "index": str(index.name), "kwargs": kwargs}
                    )
            for column in table.columns:
                column_type = column.type
                state = vars(column_type)
                key = None
                if all(isinstance(v, SIMPLE) for v in state.values()):
                    key = (type(column_type), tuple(sorted(state.items())))
                if key is not None and key in memo:
                    hint = memo[key]
                else:
                    hint = type_hint(sa, column_type, native_types, sa_enum)
                    if key is not None:
                        memo[key] = hint
                if hint is not None:
                    column_types.append(
                        dict(hint, schema=table.schema, table=table.name, column=column.name)
                    )
    return {
        "final_names": sorted(final_names),
        "column_types": column_types,
        "sa_enum": sa_enum,
        "index_kwargs": index_kwargs,
    }


def share_type_adaptation():
    """Adapts each distinct column type to the dialect once, not per column.

    SQLAlchemy memoizes a type's dialect form per type object, and a model
    has a new object for every column (`sa.String(100)` twelve thousand
    times over): adapting them was a third of compiling the DDL. Types of
    the same class with the same plain constructor state adapt alike, so
    they share one memo; anything else (schema types such as Enum and
    Boolean, decorators, variants, non-plain state) takes SQLAlchemy's own
    path unchanged.
    """
    try:
        from sqlalchemy.sql.sqltypes import SchemaType
        from sqlalchemy.sql.type_api import TypeEngine
    except ImportError:
        return
    original = getattr(TypeEngine, "_dialect_info", None)
    if original is None:
        return
    plain = (str, int, float, bool, type(None))
    shared = {}

    def _dialect_info(self, dialect):
        memos = dialect._type_memos
        if self in memos:
            return memos[self]
        state = self.__dict__
        if isinstance(self, SchemaType) or any(type(v) not in plain for v in state.values()):
            return original(self, dialect)
        key = (id(dialect), type(self), tuple(sorted(state.items())))
        memo = shared.get(key)
        if memo is None:
            memo = shared[key] = original(self, dialect)
        else:
            memos[self] = memo
        return memo

    TypeEngine._dialect_info = _dialect_info


def compile_ddl(sa, metadatas, dialect_url, tables):
    """create_all's statements for `tables` (all of them when None)."""
    out = []

    def executor(sql, *a, **k):
        out.append(str(sql.compile(dialect=engine.dialect)).strip() + ";")

    # The named paramstyle: with format-style drivers (psycopg2) the DDL
    # compiler doubles every `%`, and `50% done` would be stored as `50%% done`.
    engine = sa.create_mock_engine(dialect_url, executor, paramstyle="named")
    for md in metadatas:
        subset = None if tables is None else [t for t in md.tables.values() if t in tables]
        md.create_all(engine, checkfirst=False, tables=subset)
    return out


# The parent's share of the tables when compiling in two: it also works
# out the hints (about an eighth of compiling all the tables) meanwhile.
PARENT_SHARE = 0.44


def compile_in_two(sa, metadatas, dialect_url, side_work):
    """Compiles part of the tables in a forked child, on the second core,
    while this process compiles the rest and then runs `side_work`.

    Returns the statements and what side_work returned. Falls back to one
    process where fork is missing or unsafe (threads started by the
    models). Statements both parts emit for the whole MetaData (enum
    types, standalone sequences) are kept once.
    """
    import threading

    all_tables = [t for md in metadatas for t in md.tables.values()]
    if len(all_tables) < 200 or not hasattr(os, "fork") or threading.active_count() > 1:
        return compile_ddl(sa, metadatas, dialect_url, None), side_work()
    half = int(len(all_tables) * PARENT_SHARE)
    first, second = set(all_tables[:half]), set(all_tables[half:])
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        status = 0
        try:
            statements = compile_ddl(sa, metadatas, dialect_url, second)
            with os.fdopen(write_end, "w") as pipe:
                json.dump(statements, pipe)
        except BaseException:
            status = 1
        os._exit(status)
    os.close(write_end)
    mine = compile_ddl(sa, metadatas, dialect_url, first)
    side = side_work()
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return compile_ddl(sa, metadatas, dialect_url, None), side
    seen = set()
    merged = []
    for statement in mine + json.loads(text):
        if statement not in seen:
            seen.add(statement)
            merged.append(statement)
    return merged, side


# The order alembic_utils entities are created in: what others use first.
ENTITY_ORDER = ("PGExtension", "PGFunction", "PGView", "PGMaterializedView", "PGTrigger")


def entity_statements():
    """The CREATE statements of the alembic_utils entities (PGView,
    PGMaterializedView, PGFunction, PGTrigger, PGExtension) the project's
    modules define, as module attributes or in lists of them: what
    `register_entities` in env.py is handed. Modules of installed packages
    are not looked at. Entities of other kinds (policies, grants) are not
    read yet."""
    try:
        from alembic_utils.replaceable_entity import ReplaceableEntity
    except ImportError:
        return []
    installed = tuple(
        os.path.realpath(p) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}
    )
    found, seen = [], set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or os.path.realpath(path).startswith(installed):
            continue
        for value in list(vars(module).values()):
            candidates = value if isinstance(value, (list, tuple)) else [value]
            for entity in candidates:
                if isinstance(entity, ReplaceableEntity) and id(entity) not in seen:
                    seen.add(id(entity))
                    found.append(entity)
    kind = lambda e: type(e).__name__
    found = [e for e in found if kind(e) in ENTITY_ORDER]
    found.sort(key=lambda e: (ENTITY_ORDER.index(kind(e)), e.schema, e.signature))
    return [str(e.to_sql_statement_create()).strip().rstrip(";") + ";" for e in found]


def main():
    module_name, attr, dialect_url = sys.argv[1], sys.argv[2], sys.argv[3]
    for p in sys.argv[4:]:
        if p not in sys.path:
            sys.path.insert(0, p)
    import sqlalchemy as sa
    import sqlalchemy.sql.ddl as sa_ddl

    if hasattr(sa_ddl, "sort_tables_and_constraints"):
        sa_ddl.sort_tables_and_constraints = unsorted_tables_and_constraints
    share_type_adaptation()

    # With .pyc files turned off, the models would be compiled from source
    # on every run; keep their bytecode in migdiff's own cache instead, out
    # of the project's tree. A PYTHONPYCACHEPREFIX the user chose wins.
    cache = os.environ.get("MIGDIFF_PYCACHE")
    if cache and sys.flags.dont_write_bytecode and sys.pycache_prefix is None:
        sys.pycache_prefix = cache
        sys.dont_write_bytecode = False
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
    native_types = dialect_url.startswith("postgresql")
    target = dialect_url.split(":", 1)[0].split("+", 1)[0]
    out, model_hints = compile_in_two(
        sa, metadatas, dialect_url, lambda: hints(sa, metadatas, native_types, target)
    )
    # Objects the models declare beside their tables.
    if native_types:
        entities = entity_statements()
        out.extend(entities)
        model_hints["alembic_utils"] = bool(entities)
    # Every file the export loaded, for migdiff's cache of this output.
    files = sorted({
        f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values()))
        if isinstance(f, str)
    })
    out.append(DEPS_MARKER + json.dumps(files))
    out.append(HINTS_MARKER + json.dumps(model_hints))
    sys.stdout.write("\n\n".join(out) + "\n")
    sys.stdout.flush()


main()
# Skip the interpreter's teardown of the models' object graph (about a
# second for 1,000 tables); everything is written and flushed.
os._exit(0)

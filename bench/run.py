#!/usr/bin/env python3
"""Side-by-side benchmark: `migdiff check` against `alembic check` on the
same database and the same schema, interleaved runs, medians and their ratio.

For each table count N it generates an N-table schema (each table: 12
columns of mixed types, an FK to the previous table, an index, a unique
constraint, a CHECK, server defaults) as PostgreSQL DDL, as SQLite DDL and
as SQLAlchemy models; loads it into a fresh PostgreSQL database (in batches:
the default max_locks_per_transaction cannot create thousands of tables in
one transaction), a SQLite file and a MySQL/MariaDB database; then times both tools, migdiff's phases
(`-v`), peak memory (wait4 maxrss), and the same catalog queries from psql
(the floor introspection is held to).

Usage (from the repo root, after scripts/test.sh made target/venv):
  cargo build --release
  target/venv/bin/python bench/run.py --tables 1000 5000 10000 --json bench/results.json
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("MIGDIFF_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# A MySQL or MariaDB server (root without a password), for --mysql-tables.
MYSQL_HOST = os.environ.get("MIGDIFF_BENCH_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("MIGDIFF_BENCH_MYSQL_PORT", "3306"))


def table_ddl(i, dialect):
    ref = f",\n    ref_id INTEGER REFERENCES t{i-1} (id)" if i > 0 else ",\n    ref_id INTEGER"
    if dialect == "postgresql":
        return f"""CREATE TABLE t{i} (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    code VARCHAR(20) NOT NULL,
    qty INTEGER DEFAULT 0 NOT NULL,
    price NUMERIC(10, 2) DEFAULT 0,
    active BOOLEAN DEFAULT true NOT NULL,
    created TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    note TEXT,
    score DOUBLE PRECISION,
    payload JSONB,
    day DATE{ref},
    CONSTRAINT uq_t{i}_code UNIQUE (code),
    CONSTRAINT ck_t{i}_qty CHECK (qty >= 0)
);
CREATE INDEX ix_t{i}_name ON t{i} (name);
"""
    if dialect == "mysql":
        fk = f",\n    FOREIGN KEY (ref_id) REFERENCES t{i-1} (id)" if i > 0 else ""
        return f"""CREATE TABLE t{i} (
    id INTEGER NOT NULL AUTO_INCREMENT,
    name VARCHAR(100) NOT NULL,
    code VARCHAR(20) NOT NULL,
    qty INTEGER DEFAULT 0 NOT NULL,
    price NUMERIC(10, 2) DEFAULT 0,
    active BOOL DEFAULT 1 NOT NULL,
    created DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    note TEXT,
    score FLOAT,
    payload JSON,
    day DATE,
    ref_id INTEGER,
    PRIMARY KEY (id),
    CONSTRAINT uq_t{i}_code UNIQUE (code),
    CONSTRAINT ck_t{i}_qty CHECK (qty >= 0){fk}
);
CREATE INDEX ix_t{i}_name ON t{i} (name);
"""
    return f"""CREATE TABLE t{i} (
    id INTEGER NOT NULL,
    name VARCHAR(100) NOT NULL,
    code VARCHAR(20) NOT NULL,
    qty INTEGER DEFAULT 0 NOT NULL,
    price NUMERIC(10, 2) DEFAULT 0,
    active BOOLEAN DEFAULT 1 NOT NULL,
    created DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    note TEXT,
    score FLOAT,
    payload JSON,
    day DATE{ref},
    PRIMARY KEY (id),
    CONSTRAINT uq_t{i}_code UNIQUE (code),
    CONSTRAINT ck_t{i}_qty CHECK (qty >= 0)
);
CREATE INDEX ix_t{i}_name ON t{i} (name);
"""


def models(n):
    out = ["import sqlalchemy as sa", "from sqlalchemy.dialects import postgresql", "metadata = sa.MetaData()", ""]
    out.append("""def _json():
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
""")
    for i in range(n):
        ref = f"sa.ForeignKey('t{i-1}.id')" if i > 0 else None
        out.append(f"""sa.Table('t{i}', metadata,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('name', sa.String(100), nullable=False),
    sa.Column('code', sa.String(20), nullable=False),
    sa.Column('qty', sa.Integer, nullable=False, server_default=sa.text('0')),
    sa.Column('price', sa.Numeric(10, 2), server_default=sa.text('0')),
    sa.Column('active', sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column('created', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column('note', sa.Text),
    sa.Column('score', sa.Float),
    sa.Column('payload', _json()),
    sa.Column('day', sa.Date),
    sa.Column('ref_id', sa.Integer{', ' + ref if ref else ''}),
    sa.UniqueConstraint('code', name='uq_t{i}_code'),
    sa.CheckConstraint('qty >= 0', name='ck_t{i}_qty'),
    sa.Index('ix_t{i}_name', 'name'))""")
    return "\n".join(out) + "\n"


def heavy_package(root, modules, classes=5):
    """A package whose import costs what a real application's does: each
    module defines frozen dataclasses, enums and compiled patterns, and the
    package imports every module. The models module imports it first."""
    root.mkdir()
    for m in range(modules):
        lines = ["import dataclasses, enum, re, typing", ""]
        for c in range(classes):
            fields = "".join(f"    f{j}: typing.Optional[int] = None\n" for j in range(8))
            lines.append(f"@dataclasses.dataclass(frozen=True)\nclass Rec{c}:\n{fields}"
                         f"    def total(self):\n        return sum(x or 0 for x in dataclasses.astuple(self))\n")
            lines.append(f"class Kind{c}(enum.Enum):\n" + "".join(f"    V{j} = {j}\n" for j in range(6)))
            lines.append(f"PAT{c} = re.compile(r'^m{m}_c{c}_[a-z]+\\d*$')\n")
        (root / f"mod{m}.py").write_text("\n".join(lines))
    (root / "__init__.py").write_text("".join(f"from . import mod{m}\n" for m in range(modules)))


ENV_PY = '''
import os, sys
from sqlalchemy import engine_from_config, pool
from alembic import context
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import models
config = context.config
def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=models.metadata,
                          compare_server_default=True)
        with context.begin_transaction():
            context.run_migrations()
run_migrations_online()
'''


def timed(cmd, cwd, env=None):
    """Runs cmd; returns (seconds, exit code, peak RSS in MB, stdout, stderr)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    secs = time.perf_counter() - start
    # The child is reaped by communicate(); its rusage is in RUSAGE_CHILDREN,
    # so read maxrss from /proc-less wait4 via a fresh fork is not possible here:
    # use the ru_maxrss delta reported by resource for the last child instead.
    import resource
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return secs, p.returncode, rss, out, err


def timed_rss(cmd, cwd, env=None):
    """Like timed(), with the exact peak RSS of this one child (wait4)."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(cwd)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            errf = os.open(os.path.join(cwd, ".stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(errf, 2)
            os.execvpe(cmd[0], cmd, {**os.environ, **(env or {})})
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    secs = time.perf_counter() - start
    err = Path(cwd, ".stderr").read_text()
    return secs, os.waitstatus_to_exitcode(status), usage.ru_maxrss / 1024, err


def psql(url, *args):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, *args], check=True,
                   stdout=subprocess.DEVNULL)


def phases(stderr):
    out = {}
    for line in stderr.splitlines():
        if ": " in line and line.rstrip().endswith(" ms"):
            k, v = line.rsplit(": ", 1)
            out[k.strip()] = float(v.split()[0])
    return out


def bench_pg(n, runs, migdiff, venv, alembic_max, heavy_modules=0):
    work = Path(tempfile.mkdtemp(prefix=f"migdiff_bench_{n}_"))
    db = f"migdiff_bench_{n}{'_heavy' if heavy_modules else ''}"
    admin = f"{PG}/postgres"
    url = f"{PG}/{db}"
    psql(admin, "-c", f'drop database if exists "{db}" with (force)', "-c", f'create database "{db}"')
    t = time.perf_counter()
    batch = 250
    for start in range(0, n, batch):
        f = work / "batch.sql"
        f.write_text("".join(table_ddl(i, "postgresql") for i in range(start, min(n, start + batch))))
        psql(url, "-f", str(f))
    # A production database has current catalog statistics and vacuumed
    # catalogs; right after a bulk load neither holds until autovacuum runs
    # (the first reads of every new catalog row also write its hint bits),
    # which skews both tools.
    psql(url, "-c", "vacuum analyze")
    load_s = time.perf_counter() - t
    (work / "schema.sql").write_text("".join(table_ddl(i, "postgresql") for i in range(n)))
    if heavy_modules:
        heavy_package(work / "app", heavy_modules)
        (work / "models.py").write_text("import app  # the application, as real models modules do\n" + models(n))
    else:
        (work / "models.py").write_text(models(n))
    (work / "migrations" / "versions").mkdir(parents=True)
    (work / "migrations" / "env.py").write_text(ENV_PY)
    shutil.copy(venv / "lib/python3.11/site-packages/alembic/templates/generic/script.py.mako",
                work / "migrations" / "script.py.mako")
    (work / "alembic.ini").write_text(
        f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url.replace('postgresql://', 'postgresql+psycopg://')}\n")
    (work / "catalog.sql").write_text(subprocess.run([migdiff, "--dialect", "postgresql", "catalog-sql"], capture_output=True, text=True, check=True).stdout)

    m_times, a_times, m_rss, floor, ph = [], [], [], [], []
    models_times, export_ms, warm_times, bare_import = [], [], [], []
    run_alembic = n <= alembic_max
    models_env = {"VIRTUAL_ENV": str(venv), "XDG_CACHE_HOME": str(work / "cache")}
    # Prime the models cache once.
    timed([migdiff, "--schema", "sqlalchemy:models:metadata", "check"], work, env=models_env)
    for r in range(runs):
        if run_alembic:
            secs, code, _, _, err = timed([str(venv / "bin/alembic"), "check"], work)
            if code != 0:
                print(f"alembic check exited {code}: {err[-400:]}", file=sys.stderr)
            a_times.append(secs)
        secs, code, rss, err = timed_rss([migdiff, "--schema", "schema.sql", "-v", "check"], str(work))
        if code != 0:
            print(f"migdiff check exited {code}: {err[-400:]}", file=sys.stderr)
        m_times.append(secs)
        m_rss.append(rss)
        ph.append(phases(err))
        # The same check with the models alembic check reads, through the
        # project's Python: the like-for-like comparison. Cold: the models
        # imported afresh (--no-cache); warm: the cached export, as every
        # run after the first one that follows a change.
        secs, code, _, _, err = timed([migdiff, "--schema", "sqlalchemy:models:metadata", "-v", "--no-cache", "check"],
                                      work, env=models_env)
        if code != 0:
            print(f"migdiff check (models) exited {code}: {err[-400:]}", file=sys.stderr)
        models_times.append(secs)
        export_ms.append(phases(err).get("read declared schema", float("nan")))
        secs, code, _, _, err = timed([migdiff, "--schema", "sqlalchemy:models:metadata", "-v", "check"],
                                      work, env=models_env)
        if "models cache: hit" not in err:
            print(f"migdiff check (models, warm) missed the cache: {err[-400:]}", file=sys.stderr)
        warm_times.append(secs)
        t = time.perf_counter()
        subprocess.run(["psql", "-q", url, "-f", str(work / "catalog.sql"), "-o", os.devnull], check=True)
        floor.append(time.perf_counter() - t)
        # The floor of the models path: Python importing the models module
        # (what alembic check pays too), nothing else.
        secs, code, _, _, err = timed([str(venv / "bin/python"), "-c", "import models"], work)
        if code != 0:
            print(f"import models exited {code}: {err[-400:]}", file=sys.stderr)
        bare_import.append(secs)
    # In `check` the declared schema is read while the server answers, so
    # its phase time includes waiting for the CPU. Read alone: the same
    # check against an empty database, where introspection is nothing.
    empty = f"{db}_empty"
    psql(admin, "-c", f'drop database if exists "{empty}" with (force)', "-c", f'create database "{empty}"')
    read_alone = []
    for r in range(runs):
        _, _, _, _, err = timed([migdiff, "--url", f"{PG}/{empty}", "--schema", "schema.sql", "-v", "check"], work)
        read_alone.append(phases(err).get("read declared schema", float("nan")))
    psql(admin, "-c", f'drop database if exists "{empty}" with (force)')
    psql(admin, "-c", f'drop database if exists "{db}" with (force)')
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    row = {
        "dialect": "postgresql", "tables": n, "runs": runs, "load_s": round(load_s, 2),
        "migdiff_s": round(med(m_times), 3),
        "alembic_s": round(med(a_times), 3) if a_times else None,
        "ratio": round(med(a_times) / med(m_times), 1) if a_times else None,
        "migdiff_models_s": round(med(models_times), 3),
        "ratio_models": round(med(a_times) / med(models_times), 1) if a_times else None,
        "migdiff_models_warm_s": round(med(warm_times), 3),
        "ratio_models_warm": round(med(a_times) / med(warm_times), 1) if a_times else None,
        "models_export_ms": round(med(export_ms), 1),
        "migdiff_peak_mb": round(max(m_rss), 1),
        "psql_catalog_s": round(med(floor), 3),
        "ddl_read_alone_ms": round(med(read_alone), 1),
        "phases_ms": {k: round(med([p.get(k, 0) for p in ph]), 1) for k in ph[0]} if ph else {},
    }
    row["heavy_import_modules"] = heavy_modules
    row["bare_import_s"] = round(med(bare_import), 3)
    # Cold models path against its floor: importing the models plus reading
    # the catalog, which migdiff does at the same time (target: <= 1.15).
    intro_s = row["phases_ms"].get("introspect", 0) / 1000
    row["models_cold_vs_import_plus_introspect"] = round(row["migdiff_models_s"] / (row["bare_import_s"] + intro_s), 2)
    row["introspect_vs_psql"] = round(row["phases_ms"].get("introspect", 0) / 1000 / row["psql_catalog_s"], 2)
    return row


def bench_sqlite(n, runs, migdiff, venv, alembic_max):
    import sqlite3
    work = Path(tempfile.mkdtemp(prefix=f"migdiff_bench_sqlite_{n}_"))
    db = work / "app.db"
    ddl = "".join(table_ddl(i, "sqlite") for i in range(n))
    con = sqlite3.connect(db); con.executescript(ddl); con.close()
    (work / "schema.sql").write_text(ddl)
    (work / "models.py").write_text(models(n))
    (work / "migrations" / "versions").mkdir(parents=True)
    (work / "migrations" / "env.py").write_text(ENV_PY)
    shutil.copy(venv / "lib/python3.11/site-packages/alembic/templates/generic/script.py.mako",
                work / "migrations" / "script.py.mako")
    (work / "alembic.ini").write_text(f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///{db}\n")
    m_times, a_times, m_rss = [], [], []
    for r in range(runs):
        if n <= alembic_max:
            secs, code, _, _, err = timed([str(venv / "bin/alembic"), "check"], work)
            a_times.append(secs)
        secs, code, rss, err = timed_rss([migdiff, "--schema", "schema.sql", "check"], str(work))
        if code != 0:
            print(f"migdiff check exited {code}: {err[-400:]}", file=sys.stderr)
        m_times.append(secs); m_rss.append(rss)
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    return {"dialect": "sqlite", "tables": n, "runs": runs, "migdiff_s": round(med(m_times), 3),
            "alembic_s": round(med(a_times), 3) if a_times else None,
            "ratio": round(med(a_times) / med(m_times), 1) if a_times else None,
            "migdiff_peak_mb": round(max(m_rss), 1)}


def mysql_cli(db, sql_file=None, sql=None):
    cmd = ["mysql", "-uroot", f"-h{MYSQL_HOST}", f"-P{MYSQL_PORT}"] + ([db] if db else [])
    if sql is not None:
        cmd += ["-e", sql]
    with open(sql_file) if sql_file else open(os.devnull) as stdin:
        subprocess.run(cmd, stdin=stdin, check=True, stdout=subprocess.DEVNULL)


def bench_mysql(n, runs, migdiff, venv, alembic_max):
    """The same schema on MySQL/MariaDB: schema.sql and the models, cold
    and warm, beside `alembic check` (PyMySQL)."""
    work = Path(tempfile.mkdtemp(prefix=f"migdiff_bench_mysql_{n}_"))
    db = f"migdiff_bench_{n}"
    mysql_cli(None, sql=f"drop database if exists `{db}`; create database `{db}` character set utf8mb4")
    ddl = "".join(table_ddl(i, "mysql") for i in range(n))
    (work / "schema.sql").write_text(ddl)
    t = time.perf_counter()
    mysql_cli(db, sql_file=work / "schema.sql")
    load_s = time.perf_counter() - t
    (work / "models.py").write_text(models(n))
    (work / "migrations" / "versions").mkdir(parents=True)
    (work / "migrations" / "env.py").write_text(ENV_PY)
    shutil.copy(venv / "lib/python3.11/site-packages/alembic/templates/generic/script.py.mako",
                work / "migrations" / "script.py.mako")
    url = f"mysql+pymysql://root@{MYSQL_HOST}:{MYSQL_PORT}/{db}"
    (work / "alembic.ini").write_text(f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url}\n")
    models_env = {"VIRTUAL_ENV": str(venv), "XDG_CACHE_HOME": str(work / "cache")}
    timed([migdiff, "--schema", "sqlalchemy:models:metadata", "check"], work, env=models_env)
    m_times, a_times, m_rss, ph, cold, warm = [], [], [], [], [], []
    for r in range(runs):
        if n <= alembic_max:
            secs, code, _, _, err = timed([str(venv / "bin/alembic"), "check"], work)
            a_times.append(secs)
        secs, code, rss, err = timed_rss([migdiff, "--schema", "schema.sql", "-v", "check"], str(work))
        if code != 0:
            print(f"migdiff check exited {code}: {err[-400:]}", file=sys.stderr)
        m_times.append(secs); m_rss.append(rss); ph.append(phases(err))
        secs, code, _, _, err = timed([migdiff, "--schema", "sqlalchemy:models:metadata", "--no-cache", "check"],
                                      work, env=models_env)
        if code != 0:
            print(f"migdiff check (models) exited {code}: {err[-400:]}", file=sys.stderr)
        cold.append(secs)
        secs, code, _, _, err = timed([migdiff, "--schema", "sqlalchemy:models:metadata", "check"], work, env=models_env)
        warm.append(secs)
    mysql_cli(None, sql=f"drop database if exists `{db}`")
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    ratio = lambda x: round(med(a_times) / med(x), 1) if a_times else None
    return {"dialect": "mysql", "tables": n, "runs": runs, "load_s": round(load_s, 2),
            "migdiff_s": round(med(m_times), 3),
            "alembic_s": round(med(a_times), 3) if a_times else None, "ratio": ratio(m_times),
            "migdiff_models_s": round(med(cold), 3), "ratio_models": ratio(cold),
            "migdiff_models_warm_s": round(med(warm), 3), "ratio_models_warm": ratio(warm),
            "migdiff_peak_mb": round(max(m_rss), 1),
            "phases_ms": {k: round(med([p.get(k, 0) for p in ph]), 1) for k in ph[0]} if ph else {}}


def objects_ddl(tables, views, functions, triggers):
    """Tables, a view per table (every tenth reading the view before it),
    plpgsql trigger functions and a trigger on a table for each."""
    out = []
    for i in range(tables):
        out.append(f"CREATE TABLE public.o{i} (id integer PRIMARY KEY, name varchar(100) NOT NULL, note text);\n")
    for i in range(views):
        if i % 10 == 9:
            out.append(f"CREATE VIEW public.ov{i} AS SELECT id, upper(name) AS name FROM public.ov{i-1} WHERE id > {i};\n")
        else:
            out.append(f"CREATE VIEW public.ov{i} AS SELECT id, name, note FROM public.o{i % tables} WHERE id > {i};\n")
    for i in range(functions):
        out.append(f"CREATE FUNCTION public.of{i}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'f{i}'; RETURN NEW; END $$;\n")
    for i in range(triggers):
        out.append(f"CREATE TRIGGER og{i} BEFORE INSERT OR UPDATE OF name ON public.o{i % tables} "
                   f"FOR EACH ROW EXECUTE FUNCTION public.of{i % functions}();\n")
    return "".join(out)


def objects_entities(tables, views, functions, triggers):
    """The same objects as alembic_utils entities, and the tables as models."""
    out = ["import sqlalchemy as sa",
           "from alembic_utils.pg_view import PGView",
           "from alembic_utils.pg_function import PGFunction",
           "from alembic_utils.pg_trigger import PGTrigger",
           "metadata = sa.MetaData()"]
    for i in range(tables):
        out.append(f"sa.Table('o{i}', metadata, sa.Column('id', sa.Integer, primary_key=True), "
                   f"sa.Column('name', sa.String(100), nullable=False), sa.Column('note', sa.Text))")
    out.append("entities = []")
    for i in range(views):
        src = f"SELECT id, upper(name) AS name FROM public.ov{i-1} WHERE id > {i}" if i % 10 == 9 \
            else f"SELECT id, name, note FROM public.o{i % tables} WHERE id > {i}"
        out.append(f"entities.append(PGView(schema='public', signature='ov{i}', definition={src!r}))")
    for i in range(functions):
        body = f"RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := 'f{i}'; RETURN NEW; END $$"
        out.append(f"entities.append(PGFunction(schema='public', signature='of{i}()', definition={body!r}))")
    for i in range(triggers):
        d = f"BEFORE INSERT OR UPDATE OF name ON public.o{i % tables} FOR EACH ROW EXECUTE FUNCTION public.of{i % functions}()"
        out.append(f"entities.append(PGTrigger(schema='public', signature='og{i}', on_entity='public.o{i % tables}', definition={d!r}))")
    return "\n".join(out) + "\n"


OBJECTS_ENV_PY = '''
import os, sys
from sqlalchemy import engine_from_config, pool
from alembic import context
from alembic_utils.replaceable_entity import register_entities
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import entities
register_entities(entities.entities)
config = context.config
def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=entities.metadata)
        with context.begin_transaction():
            context.run_migrations()
run_migrations_online()
'''


def bench_objects(counts, runs, migdiff, venv, alembic_utils=True):
    """`migdiff check` on a schema with views, functions and triggers,
    declared as written (settled in a throwaway database) and as pg_dump
    writes it, beside alembic_utils' comparison (`alembic check` with the
    entities registered) on the same database."""
    tables, views, functions, triggers = counts
    work = Path(tempfile.mkdtemp(prefix="migdiff_bench_objects_"))
    db = "migdiff_bench_objects"
    admin = f"{PG}/postgres"
    url = f"{PG}/{db}"
    psql(admin, "-c", f'drop database if exists "{db}" with (force)', "-c", f'create database "{db}"')
    ddl = objects_ddl(tables, views, functions, triggers)
    (work / "schema.sql").write_text(ddl)
    statements = ddl.splitlines(keepends=True)
    for start in range(0, len(statements), 250):
        (work / "batch.sql").write_text("".join(statements[start:start + 250]))
        psql(url, "-f", str(work / "batch.sql"))
    psql(url, "-c", "vacuum analyze")
    dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner", url], capture_output=True, text=True)
    have_dump = dump.returncode == 0
    if have_dump:
        (work / "dump.sql").write_text(dump.stdout)
    (work / "entities.py").write_text(objects_entities(tables, views, functions, triggers))
    (work / "migrations" / "versions").mkdir(parents=True)
    (work / "migrations" / "env.py").write_text(OBJECTS_ENV_PY)
    shutil.copy(venv / "lib/python3.11/site-packages/alembic/templates/generic/script.py.mako",
                work / "migrations" / "script.py.mako")
    (work / "alembic.ini").write_text(
        f"[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = {url.replace('postgresql://', 'postgresql+psycopg://')}\n")
    (work / "catalog.sql").write_text(subprocess.run([migdiff, "--dialect", "postgresql", "catalog-sql"], capture_output=True, text=True, check=True).stdout)
    written, dumped, floor, ph = [], [], [], []
    for r in range(runs):
        secs, code, _, err = timed_rss([migdiff, "--url", url, "--schema", "schema.sql", "-v", "check"], str(work))
        if code != 0:
            print(f"migdiff check (as written) exited {code}: {err[-400:]}", file=sys.stderr)
        written.append(secs)
        if have_dump:
            secs, code, _, err = timed_rss([migdiff, "--url", url, "--schema", "dump.sql", "-v", "check"], str(work))
            if code != 0:
                print(f"migdiff check (pg_dump) exited {code}: {err[-400:]}", file=sys.stderr)
            dumped.append(secs)
            ph.append(phases(err))
        t = time.perf_counter()
        subprocess.run(["psql", "-q", url, "-f", str(work / "catalog.sql"), "-o", os.devnull], check=True)
        floor.append(time.perf_counter() - t)
    # alembic_utils simulates every entity in the database: once is enough.
    au = float("nan")
    if alembic_utils:
        if subprocess.run([str(venv / "bin/python"), "-c", "import alembic_utils"]).returncode != 0:
            subprocess.run([str(venv / "bin/pip"), "install", "-q", "alembic_utils==0.8.8"], check=True)
        secs, code, _, _, err = timed([str(venv / "bin/alembic"), "check"], work)
        if code != 0:
            print(f"alembic check (alembic_utils) exited {code}: {err[-600:]}", file=sys.stderr)
        au = secs
    psql(admin, "-c", f'drop database if exists "{db}" with (force)')
    shutil.rmtree(work, ignore_errors=True)
    med = statistics.median
    row = {
        "dialect": "postgresql", "case": "objects", "tables": tables, "views": views,
        "functions": functions, "triggers": triggers, "runs": runs,
        "migdiff_written_s": round(med(written), 3),
        "migdiff_dump_s": round(med(dumped), 3) if dumped else None,
        "alembic_utils_s": round(au, 2),
        "ratio_written": round(au / med(written), 1),
        "ratio_dump": round(au / med(dumped), 1) if dumped else None,
        "psql_catalog_s": round(med(floor), 3),
        "phases_ms": {k: round(med([p.get(k, 0) for p in ph]), 1) for k in ph[0]} if ph else {},
    }
    intro = row["phases_ms"].get("introspect")
    if intro:
        row["introspect_vs_psql"] = round(intro / 1000 / row["psql_catalog_s"], 2)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", type=int, nargs="*", default=[1000, 5000, 10000])
    ap.add_argument("--sqlite-tables", type=int, nargs="*", default=[1000])
    ap.add_argument("--mysql-tables", type=int, nargs="*", default=[1000])
    ap.add_argument("--heavy-tables", type=int, nargs="*", default=[100],
                    help="table counts for the heavy-import case (models importing an application)")
    ap.add_argument("--heavy-modules", type=int, default=300,
                    help="generated modules the heavy-import models module imports")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--alembic-max", type=int, default=10000,
                    help="skip alembic check above this many tables")
    ap.add_argument("--migdiff", default=str(ROOT / "target/release/migdiff"))
    ap.add_argument("--venv", default=str(ROOT / "target/venv"))
    ap.add_argument("--objects", type=int, nargs="*", default=[1000, 1000, 500, 500],
                    help="tables, views, functions, triggers for the objects case (empty: skip)")
    ap.add_argument("--no-alembic-utils", action="store_true",
                    help="objects case: time migdiff only (alembic_utils takes minutes)")
    ap.add_argument("--json")
    a = ap.parse_args()
    venv = Path(a.venv)
    rows = []
    for n in a.tables:
        rows.append(bench_pg(n, a.runs, a.migdiff, venv, a.alembic_max)); print(json.dumps(rows[-1]), flush=True)
    for n in a.heavy_tables:
        rows.append(bench_pg(n, a.runs, a.migdiff, venv, a.alembic_max, a.heavy_modules)); print(json.dumps(rows[-1]), flush=True)
    for n in a.sqlite_tables:
        rows.append(bench_sqlite(n, a.runs, a.migdiff, venv, a.alembic_max)); print(json.dumps(rows[-1]), flush=True)
    for n in a.mysql_tables:
        rows.append(bench_mysql(n, a.runs, a.migdiff, venv, a.alembic_max)); print(json.dumps(rows[-1]), flush=True)
    objects_rows = []
    if len(a.objects) == 4:
        objects_rows.append(bench_objects(a.objects, a.runs, a.migdiff, venv, not a.no_alembic_utils)); print(json.dumps(objects_rows[-1]), flush=True)
    print()
    nan = float("nan")
    print(f"{'case':10} {'tables':>6} {'migdiff s':>10} {'alembic s':>10} {'ratio':>7} {'peak MB':>8} "
          f"{'introspect ms':>14} {'psql floor ms':>14} {'DDL read ms':>12} {'diff ms':>8} "
          f"{'models cold s':>13} {'ratio':>7} {'export ms':>10} {'models warm s':>13} {'ratio':>7} "
          f"{'import s':>9} {'cold/floor':>9}")
    for r in rows:
        intro = r.get("phases_ms", {}).get("introspect")
        floor = r.get("psql_catalog_s")
        case = r["dialect"] + ("+heavy" if r.get("heavy_import_modules") else "")
        print(f"{case:10} {r['tables']:>6} {r['migdiff_s']:>10.3f} "
              f"{(r['alembic_s'] or nan):>10.3f} {(r['ratio'] or nan):>6.1f}x {r['migdiff_peak_mb']:>8.1f} "
              f"{(intro if intro is not None else nan):>14.1f} {(floor*1000 if floor else nan):>14.1f} "
              f"{r.get('ddl_read_alone_ms', nan):>12.1f} {r.get('phases_ms', {}).get('diff', nan):>8.1f} "
              f"{r.get('migdiff_models_s', nan):>13.3f} {(r.get('ratio_models') or nan):>6.1f}x {r.get('models_export_ms', nan):>10.1f} "
              f"{r.get('migdiff_models_warm_s', nan):>13.3f} {(r.get('ratio_models_warm') or nan):>6.1f}x "
              f"{r.get('bare_import_s', nan):>9.3f} {r.get('models_cold_vs_import_plus_introspect', nan):>9.2f}")
    for r in objects_rows:
        print(f"\nobjects: {r['tables']} tables, {r['views']} views, {r['functions']} functions, {r['triggers']} triggers: "
              f"migdiff check {r['migdiff_written_s']:.3f} s as written ({r['ratio_written']:.1f}x), "
              f"{(r['migdiff_dump_s'] or nan):.3f} s as pg_dump writes it ({(r['ratio_dump'] or nan):.1f}x); "
              f"alembic_utils {r['alembic_utils_s']:.1f} s; introspect/psql {r.get('introspect_vs_psql', nan):.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps({"machine": os.uname().nodename, "cpus": os.cpu_count(), "rows": rows + objects_rows}, indent=1))


if __name__ == "__main__":
    main()

# Carried inside the migdiff binary: every Alembic process migdiff starts
# (verify, check --replay, autogenerate --verify) runs through this file.
# It runs Alembic's command line as `python -m alembic` would, with three
# additions, configured by migdiff through MIGDIFF_RUNNER_CONFIG (JSON):
#
# 1. The guard. Every engine (create_engine, engine_from_config,
#    create_async_engine, async_engine_from_config) and every direct driver
#    connect (sqlite3, aiosqlite, psycopg, psycopg2, asyncpg) is checked
#    against the throwaway database's URL before anything is sent. Any
#    other target ends the process at once (os._exit: no handler in env.py
#    can swallow it) with one marker line on stderr that migdiff turns into
#    its exit-2 message. An in-memory SQLite database is allowed: it can
#    reach no other database.
# 2. Flask-Migrate. When env.py takes its engine from `current_app`, the
#    application is loaded as `flask` loads it and Alembic runs inside its
#    app context; Flask-SQLAlchemy is pointed at the throwaway database as
#    it initializes (the app's own driver kept).
# 3. Markers: one line after each migration step (a progress bar on long
#    chains) and one when the first migration starts (so migdiff can tell a
#    failing env.py from a failing migration).
# 4. Capture (`migdiff lint`): in offline mode (`--sql`), every statement
#    Alembic writes is also recorded, as a JSON line, with the revision
#    file and line of the op that produced it; several commands can run
#    in one process.
#
# The project's env.py is untouched; hooks it configures itself still run.
import json
import os
import sys
import traceback

CONFIG = json.loads(os.environ.pop("MIGDIFF_RUNNER_CONFIG"))
SANDBOX_URL = CONFIG["sandbox_url"]
GUARD_MARKER = "\x00migdiff-guard "
ENV_MARKER = "\x00migdiff-env-error "
STEP_MARKER = "\x00migdiff-step\n"
STARTED_MARKER = "\x00migdiff-migrations-started\n"

LIBPQ_TARGET = ("host", "hostaddr", "port", "dbname", "user")
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def _marker(prefix, payload):
    sys.stderr.write(prefix + json.dumps(payload) + "\n")
    sys.stderr.flush()


def _sqlite_key(database):
    """A SQLite target as a real path; None for an in-memory database."""
    if isinstance(database, bytes):
        database = database.decode()
    database = os.fspath(database) if database is not None else ""
    if database.startswith("file:"):
        path, _, query = database[5:].partition("?")
        if "mode=memory" in query or path in ("", ":memory:"):
            return None
        database = path
    if database in ("", ":memory:"):
        return None
    return ("sqlite", os.path.realpath(database))


def _pg_key(host, port, dbname, user=None):
    host = host or os.environ.get("PGHOST") or ""
    # A socket folder, or several hosts: only a local one can be ours.
    if host.startswith("/") or host in LOCAL_HOSTS:
        host = "local"
    port = str(port or os.environ.get("PGPORT") or 5432)
    dbname = dbname or os.environ.get("PGDATABASE") or user or os.environ.get("PGUSER")
    return ("postgresql", host, port, dbname)


def _url_key(url):
    from sqlalchemy.engine import make_url

    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        database = u.database or ""
        if u.query.get("mode") == "memory":
            return None
        return _sqlite_key(database)
    host = u.host or u.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    return (backend,) + _pg_key(host, u.port, u.database, u.username)[1:]


SANDBOX_KEY = _url_key(SANDBOX_URL)


def _masked(url):
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return str(url)


def _caller():
    """The first frame outside SQLAlchemy, the drivers and this runner."""
    skip = ("sqlalchemy", "alembic", "flask_sqlalchemy", "psycopg", "asyncpg",
            "aiosqlite", "sqlite3", "importlib", "<frozen")
    for frame in reversed(traceback.extract_stack()[:-3]):
        name = frame.filename.replace("\\", "/")
        if name == "<string>":  # this runner, run with `python -c`
            continue
        if any(f"/{s}/" in name or name.startswith(s) for s in skip):
            continue
        return f"{os.path.relpath(name)}:{frame.lineno}"
    return None


def _from_env(key):
    """Environment variables whose value names the same database."""
    names = []
    for name, value in os.environ.items():
        if "://" not in value or name == "MIGDIFF_SANDBOX_URL":
            continue
        try:
            if _url_key(value) == key:
                names.append(name)
        except Exception:
            continue
    return sorted(names)


def _refuse(shown_url, key, how):
    _marker(
        GUARD_MARKER,
        {
            "url": _masked(shown_url),
            "how": how,
            "where": _caller(),
            "env": _from_env(key),
            "sandbox": _masked(SANDBOX_URL),
        },
    )
    os._exit(86)


def _allowed(key):
    return key is None or key == SANDBOX_KEY


def check_url(url, how):
    try:
        key = _url_key(url)
    except Exception:
        # Not a URL SQLAlchemy can read: it would fail on its own.
        return
    if not _allowed(key):
        _refuse(url, key, how)


def _guard_sqlalchemy():
    import sqlalchemy
    import sqlalchemy.engine
    import sqlalchemy.engine.create as create

    original = create.create_engine

    def create_engine(*args, **kwargs):
        url = args[0] if args else kwargs.get("url")
        check_url(url, "create_engine")
        return original(*args, **kwargs)

    create.create_engine = create_engine
    sqlalchemy.create_engine = create_engine
    sqlalchemy.engine.create_engine = create_engine
    try:
        import sqlalchemy.ext.asyncio.engine as async_engine
    except Exception:  # no asyncio support in this install: nothing to guard
        return
    # create_async_engine and async_engine_from_config build the sync engine
    # through this name.
    async_engine._create_engine = create_engine


def _pg_dsn_key(params):
    return _pg_key(params.get("host"), params.get("port"),
                   params.get("dbname") or params.get("database"), params.get("user"))


def _guarded_sqlite(connect, scheme, how):
    """`connect` (sqlite3's or aiosqlite's), refusing any file but ours."""

    def guarded(database, *args, **kwargs):
        key = _sqlite_key(database)
        if not _allowed(key):
            _refuse(f"{scheme}:///{database}", key, how)
        return connect(database, *args, **kwargs)

    return guarded


def _guard_drivers():
    import sqlite3

    guarded = _guarded_sqlite(sqlite3.connect, "sqlite", "sqlite3.connect")
    sqlite3.connect = guarded
    # SQLAlchemy's pysqlite dialect connects through sqlite3.dbapi2.
    sqlite3.dbapi2.connect = guarded

    try:
        import aiosqlite
    except ImportError:
        pass
    else:
        guarded = _guarded_sqlite(aiosqlite.connect, "sqlite+aiosqlite", "aiosqlite.connect")
        aiosqlite.connect = guarded
        if hasattr(aiosqlite, "core"):
            aiosqlite.core.connect = guarded

    try:
        import psycopg2
        import psycopg2.extensions
    except ImportError:
        pass
    else:
        psycopg2_connect = psycopg2.connect

        def guarded_psycopg2_connect(dsn=None, *args, **kwargs):
            params = dict(psycopg2.extensions.parse_dsn(dsn)) if dsn else {}
            params.update({k: v for k, v in kwargs.items() if v is not None})
            key = _pg_dsn_key(params)
            if not _allowed(key):
                _refuse(_describe_pg(params), key, "psycopg2.connect")
            return psycopg2_connect(dsn, *args, **kwargs)

        psycopg2.connect = guarded_psycopg2_connect

    try:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        pass
    else:
        for cls in (psycopg.Connection, psycopg.AsyncConnection):
            _guard_psycopg_class(cls, conninfo_to_dict)
        psycopg.connect = psycopg.Connection.connect

    try:
        import asyncpg
    except ImportError:
        pass
    else:
        asyncpg_connect = asyncpg.connect

        async def guarded_asyncpg_connect(dsn=None, *args, **kwargs):
            params = {}
            if dsn:
                from urllib.parse import urlsplit

                parts = urlsplit(dsn)
                params = {"host": parts.hostname, "port": parts.port,
                          "dbname": parts.path.lstrip("/"), "user": parts.username}
            for name in ("host", "port", "database", "user"):
                if kwargs.get(name) is not None:
                    params["dbname" if name == "database" else name] = kwargs[name]
            key = _pg_dsn_key(params)
            if not _allowed(key):
                _refuse(_describe_pg(params), key, "asyncpg.connect")
            return await asyncpg_connect(dsn, *args, **kwargs)

        asyncpg.connect = guarded_asyncpg_connect


def _describe_pg(params):
    host = params.get("host") or "localhost"
    port = params.get("port") or 5432
    return f"postgresql://{params.get('user') or ''}@{host}:{port}/{params.get('dbname') or params.get('database') or ''}"


def _guard_psycopg_class(cls, conninfo_to_dict):
    original = cls.__dict__["connect"].__func__

    def connect(klass, conninfo="", *args, **kwargs):
        params = conninfo_to_dict(conninfo)
        params.update({k: v for k, v in kwargs.items() if k in LIBPQ_TARGET and v is not None})
        key = _pg_dsn_key(params)
        if not _allowed(key):
            _refuse(_describe_pg(params), key, "psycopg.connect")
        return original(klass, conninfo, *args, **kwargs)

    cls.connect = classmethod(connect)


def _markers():
    import alembic.runtime.environment as environment
    import alembic.runtime.migration as migration

    configure = environment.EnvironmentContext.configure

    def configure_with_progress(self, *args, **kwargs):
        theirs = kwargs.get("on_version_apply") or ()
        if callable(theirs):
            theirs = (theirs,)

        def step(**kw):
            sys.stderr.write(STEP_MARKER)
            sys.stderr.flush()

        kwargs["on_version_apply"] = [*theirs, step]
        return configure(self, *args, **kwargs)

    environment.EnvironmentContext.configure = configure_with_progress

    run_migrations = migration.MigrationContext.run_migrations

    def run_with_marker(self, **kw):
        sys.stderr.write(STARTED_MARKER)
        sys.stderr.flush()
        return run_migrations(self, **kw)

    migration.MigrationContext.run_migrations = run_with_marker


_RUN = [0]


def _capture():
    """Records every statement offline Alembic writes, with the revision
    file and line it came from (the innermost frame in one of the given
    revision files; None for Alembic's own version-table statements and
    its BEGIN/COMMIT)."""
    capture = CONFIG.get("capture")
    if not capture:
        return
    import alembic.ddl.impl as impl

    wanted = {os.path.realpath(f) for f in capture["files"]}
    seen = {}
    out = open(capture["path"], "a", encoding="utf-8")
    original = impl.DefaultImpl.static_output

    def revision_frame():
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            hit = seen.get(name)
            if hit is None:
                hit = seen[name] = os.path.realpath(name) in wanted
            if hit:
                return os.path.realpath(name), frame.f_lineno
            frame = frame.f_back
        return None, None

    def static_output(self, text):
        path, line = revision_frame()
        out.write(json.dumps({"run": _RUN[0], "sql": text, "file": path, "line": line}) + "\n")
        out.flush()
        return original(self, text)

    impl.DefaultImpl.static_output = static_output


def _alembic(alembic_main):
    """Alembic's command line once, or once per command of `commands`
    (each after the temporary ini's `-c PATH`). A command that fails is
    recorded in the capture file and the next one runs: one revision that
    cannot be rendered offline (a data migration that queries) does not
    hide the others."""
    commands = CONFIG.get("commands")
    if not commands:
        alembic_main(argv=sys.argv[1:], prog="alembic")
        return
    capture = CONFIG["capture"]["path"]
    for i, args in enumerate(commands):
        _RUN[0] = i
        try:
            alembic_main(argv=[*sys.argv[1:3], *args], prog="alembic")
        except BaseException as e:  # SystemExit from Alembic's CommandError too
            if isinstance(e, SystemExit) and not e.code:
                continue
            if isinstance(e, KeyboardInterrupt):
                raise
            lines = traceback.format_exception_only(type(e), e)
            text = (lines[-1] if lines else repr(e)).strip()
            if isinstance(e, SystemExit):
                text = "alembic exited with status %s (its message is above)" % e.code
            with open(capture, "a", encoding="utf-8") as out:
                out.write(json.dumps({"run": i, "error": text}) + "\n")


def _flask_app():
    """The application as `flask` finds it, Flask-SQLAlchemy pointed at the
    throwaway database."""
    try:
        import flask_sqlalchemy
    except ImportError:
        pass
    else:
        from sqlalchemy.engine import make_url

        init_app = flask_sqlalchemy.SQLAlchemy.init_app

        def init_app_on_sandbox(self, app, *args, **kwargs):
            sandbox = make_url(SANDBOX_URL)
            theirs = app.config.get("SQLALCHEMY_DATABASE_URI")
            try:
                ours = make_url(theirs) if theirs else None
            except Exception:
                ours = None
            if ours is not None and ours.get_backend_name() == sandbox.get_backend_name():
                sandbox = sandbox.set(drivername=ours.drivername)
            app.config["SQLALCHEMY_DATABASE_URI"] = sandbox.render_as_string(hide_password=False)
            return init_app(self, app, *args, **kwargs)

        flask_sqlalchemy.SQLAlchemy.init_app = init_app_on_sandbox

    from flask.cli import ScriptInfo, load_dotenv

    load_dotenv()
    try:
        return ScriptInfo(app_import_path=CONFIG.get("flask_app") or os.environ.get("FLASK_APP")).load_app()
    except Exception as e:  # NoAppException and the app's own import errors
        _marker(ENV_MARKER, {
            "message": f"cannot load the Flask application for Flask-Migrate's env.py: {e}",
            "hint": "set flask_app in migdiff.toml (as `flask --app` takes it, e.g. \"myapp:create_app()\") or FLASK_APP",
        })
        os._exit(87)


def main():
    sys.argv = ["alembic", *sys.argv[1:]]
    if "" not in sys.path and os.getcwd() not in sys.path:
        # As `python -m alembic` has it: the project folder is importable.
        sys.path.insert(0, os.getcwd())
    _guard_sqlalchemy()
    _guard_drivers()
    _markers()
    _capture()
    from alembic.config import main as alembic_main

    if CONFIG.get("flask"):
        app = _flask_app()
        with app.app_context():
            _alembic(alembic_main)
    else:
        _alembic(alembic_main)


main()

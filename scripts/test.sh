#!/usr/bin/env bash
# The whole test suite on a fresh machine: what README.md tells a new user
# to run and what .ci/run runs. Installs what the tests need (pinned Alembic
# and SQLAlchemy in target/venv, PostgreSQL if absent), starts PostgreSQL
# when it is not running, then runs the Rust tests and the conformance
# suite against real Alembic. Fails (never skips) when PostgreSQL or
# MariaDB/MySQL is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/venv
# The fixture projects' own needs: Flask-Migrate, the async drivers, and
# the formatters their post-write hooks run; squawk, which tests/online.rs
# lints migdiff's revisions with; alembic_utils, whose entities
# tests/objects.rs declares in models.
if [ ! -x "$venv/bin/alembic" ] || [ ! -x "$venv/bin/ruff" ] || [ ! -x "$venv/bin/squawk" ] \
  || ! "$venv/bin/python" -c 'import alembic, sqlalchemy, psycopg, pymysql, flask_migrate, flask_sqlalchemy, aiosqlite, asyncpg, greenlet, black, alembic_utils' 2>/dev/null; then
  echo "== installing pinned Alembic, SQLAlchemy and the fixture projects' packages into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "alembic==1.20.1" "SQLAlchemy==2.1.9" "psycopg[binary]==3.3.*" "PyMySQL==1.2.*" \
    "Flask==3.1.*" "Flask-SQLAlchemy==3.1.*" "Flask-Migrate==4.1.*" \
    "aiosqlite==0.22.*" "asyncpg==0.32.*" "greenlet==3.*" "ruff==0.17.*" "black==26.*" \
    "squawk-cli==2.70.0" "alembic_utils==0.8.8"
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || psql "postgresql://postgres@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; }
if ! pg_ready; then
  echo "== PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
  pg_ready || { echo "PostgreSQL could not be started: the tests need it" >&2; exit 1; }
fi

# MariaDB (or MySQL) on 127.0.0.1:3306, root without a password, unless
# MIGDIFF_TEST_MYSQL_URL names another server.
mysql_url="${MIGDIFF_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
export MIGDIFF_TEST_MYSQL_URL="$mysql_url"
my_ready() { "$venv/bin/python" - "$mysql_url" <<'PY' >/dev/null 2>&1
import sys, urllib.parse, pymysql
u = urllib.parse.urlsplit(sys.argv[1])
pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                password=urllib.parse.unquote(u.password or "")).close()
PY
}
if ! my_ready; then
  echo "== MariaDB is not answering at $mysql_url; starting it"
  if [ ! -x /usr/sbin/mariadbd ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
  fi
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 1 30); do my_ready && break; sleep 1; done
  my_ready || { echo "MariaDB could not be started: the MySQL tests need it" >&2; exit 1; }
fi
# The MySQL conformance URL, as SQLAlchemy spells it (PyMySQL).
conformance_mysql="mysql+pymysql://${mysql_url#*://}"

export MIGDIFF_TEST_PYTHON="$PWD/$venv/bin/python"
[ -d ../shared/conformance ] || {
  echo "../shared/conformance is not beside this checkout; the conformance run needs it" >&2
  exit 1
}

# The cargo suite and the conformance suite against the server at $1.
suite() {
  local url=$1
  export MIGDIFF_TEST_PG_URL="$url"
  # One build: with the `docker` feature, so the Docker provider's test runs
  # in the same build as everything else (a second build for one feature
  # test cost as much as the first).
  echo "== cargo test (with the docker feature) against $url"
  cargo test --workspace --all-targets --features docker

  echo "== no scratch database may outlive the tests"
  left=$(psql "$url/postgres" -Atc "select count(*) from pg_database where datname like 'migdiff\\_tmp\\_%' or datname like 'migdiff\\_test\\_%'")
  if [ "$left" != "0" ]; then echo "$left scratch or test databases were left behind" >&2; exit 1; fi
  left=$("$venv/bin/python" - "$mysql_url" <<'PY'
import sys, urllib.parse, pymysql
u = urllib.parse.urlsplit(sys.argv[1])
c = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                    password=urllib.parse.unquote(u.password or ""))
with c.cursor() as cur:
    cur.execute(r"select count(*) from information_schema.schemata where schema_name like 'migdiff\_tmp\_%' or schema_name like 'migdiff\_test\_%'")
    print(cur.fetchone()[0])
PY
)
  if [ "$left" != "0" ]; then echo "$left MySQL scratch or test databases were left behind" >&2; exit 1; fi

  echo "== conformance against real Alembic (../shared/conformance), $url"
  PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" ../shared/conformance/run.py \
    --migdiff target/debug/migdiff --cases ../shared/conformance/cases --pg "$url"
  echo "== conformance with the declared schema given as SQLAlchemy models, $url"
  PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" ../shared/conformance/run.py \
    --migdiff target/debug/migdiff --cases ../shared/conformance/cases --pg "$url" \
    --declared sqlalchemy
}

# The system's PostgreSQL (15 on the project machine).
suite "${MIGDIFF_TEST_PG_URL:-postgresql://postgres@127.0.0.1:5432}"

# MySQL's conformance cases, on MariaDB, in both declared modes.
for declared in sql sqlalchemy; do
  echo "== conformance on MySQL/MariaDB ($conformance_mysql), declared as $declared"
  PATH="$PWD/$venv/bin:$PATH" "$venv/bin/python" ../shared/conformance/run.py \
    --migdiff target/debug/migdiff --cases ../shared/conformance/cases \
    --dialects mysql --mysql "$conformance_mysql" --declared "$declared"
done

# A second major beside it (default 18; MIGDIFF_TEST_PG_MAJOR=16 or 17
# selects another, `none` skips it): installed from the npm registry,
# cached under target/pg, stopped when the script ends. Its own server
# binaries serve the private-cluster provider (a database is never
# replayed on another major).
major="${MIGDIFF_TEST_PG_MAJOR:-18}"
if [ "$major" != none ]; then
  url=$(bash scripts/pg-major.sh start "$major")
  trap 'bash scripts/pg-major.sh stop "$major"' EXIT
  export MIGDIFF_PG_BINDIR="$PWD/target/pg/$major/native/bin"
  export MIGDIFF_TEST_PG_SOCKET_DIR="$PWD/target/pg/$major"
  suite "$url"
fi

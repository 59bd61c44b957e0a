# Sourced by scripts/test: installs PostgreSQL from Debian packages when it is missing, starts a
# throwaway cluster on a free loopback port (socket in a temporary folder), exports
# HYBRID_TEST_POSTGRES_URL for the tests, and stops and removes the cluster on exit. Works as
# root (the server runs as the postgres user) and as an ordinary user.

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_test_postgres() {
  local bin
  bin=$(pg_bindir)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    local sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "installing PostgreSQL from Debian packages" >&2
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin=$(pg_bindir)
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/hybrid-pg.XXXXXX)
  local run=() user
  user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_TEST_DIR"
    run=(runuser -u postgres --)
    user=postgres
  fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${run[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -A trust -U "$user" --no-sync >/dev/null
  PG_TEST_CTL=("${run[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data")
  "${PG_TEST_CTL[@]}" -w -l "$PG_TEST_DIR/server.log" \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c max_connections=400" start >/dev/null
  trap stop_test_postgres EXIT
  export HYBRID_TEST_POSTGRES_URL="postgres://$user@127.0.0.1:$port/postgres"
  export HYBRID_REQUIRE_POSTGRES=1
  echo "test PostgreSQL at $HYBRID_TEST_POSTGRES_URL" >&2
}

stop_test_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ]; then
    "${PG_TEST_CTL[@]}" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
    PG_TEST_DIR=""
  fi
}

#!/usr/bin/env bash
# Local PostgreSQL and NATS JetStream for Brigade, with their data under the repo's .local/.
#
#   scripts/services.sh up      install what is missing, start both (reuses running ones), write .local/env
#   scripts/services.sh down    stop both
#   scripts/services.sh status  say what runs
#   scripts/services.sh running exit 0 when both run (for scripts that stop only what they started)
#   scripts/services.sh cluster-up    PostgreSQL and a three-node NATS JetStream cluster on loopback
#                                     instead of the single server; writes .local/env-cluster
#   scripts/services.sh cluster-down  stop the three nodes
#
# Ports come from BRIGADE_PG_PORT (default 55432) and BRIGADE_NATS_PORT (default 54222); the
# cluster's from BRIGADE_NATS_CLUSTER_PORTS (clients, default "54231 54232 54233") and
# BRIGADE_NATS_ROUTE_PORTS (routes between the nodes, default "56231 56232 56233").
# PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user (created if missing).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
local_dir="$repo/.local"
pg_port=${BRIGADE_PG_PORT:-55432}
nats_port=${BRIGADE_NATS_PORT:-54222}
nats_monitor_port=${BRIGADE_NATS_MONITOR_PORT:-58222}
pg_user=brigade
pg_password=${BRIGADE_PG_PASSWORD:-brigade}
pg_db=${BRIGADE_PG_DB:-brigade}
nats_dir="$local_dir/nats"

say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

pg_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root to run: $*"; fi; }

install_missing() {
  local missing=()
  pg_bin >/dev/null || missing+=(postgresql)
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v nats-server >/dev/null || missing+=(nats-server)
  # The README's walkthrough talks to the API with these.
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian starts an installed server as a system service; Brigade runs its own copies.
  as_root systemctl disable --now nats-server >/dev/null 2>&1 || true
}

# The user the cluster runs as, and a command prefix to run as them.
pg_owner() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
# From /, so that the postgres user is not refused a private working directory.
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }

pg_data_dir() {
  local dir="$local_dir/pg"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    mkdir -p "$dir"
    chown postgres "$dir"
    # A repo under a private home (/root) is not reachable by the postgres user: keep the data beside it.
    if ! runuser -u postgres -- test -w "$dir"; then
      dir="/var/tmp/brigade-pg-$(printf '%s' "$repo" | sha1sum | cut -c1-12)"
      mkdir -p "$dir" && chown postgres "$dir" && chmod 700 "$dir"
    fi
  fi
  echo "$dir"
}

pg_up() {
  local bin data
  bin=$(pg_bin) || die "PostgreSQL binaries not found"
  data=$(pg_data_dir)
  mkdir -p "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising a PostgreSQL cluster in $data"
    local pwfile; pwfile=$(mktemp); printf '%s\n' "$pg_password" > "$pwfile"; chmod 644 "$pwfile"
    as_pg "$bin/initdb" -D "$data" -U "$pg_user" --pwfile="$pwfile" --auth-local=scram-sha-256 \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$data/postgresql.conf" <<CONF
# Brigade local settings
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 400
shared_buffers = 512MB
max_wal_size = 4GB
# Durability stays on: an acknowledged command is on disk.
fsync = on
synchronous_commit = on
CONF
  fi
  sed -i "s/^port = .*//" "$data/postgresql.conf"
  echo "port = $pg_port" >> "$data/postgresql.conf"
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    say "PostgreSQL already running on port $pg_port"
  else
    say "starting PostgreSQL on 127.0.0.1:$pg_port"
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null \
      || { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
  fi
  export PGPASSWORD="$pg_password"
  if ! psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -tAc "select 1 from pg_database where datname = '$pg_db'" | grep -q 1; then
    psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -qc "create database $pg_db" >/dev/null
  fi
}

# The processes' roles (migrations/0013_roles.sql grants them): groups made here too, because the
# logins are made before the first migration. Locally every login's password is the owner's.
#   brigade_server    brigade_app + brigade_worker: `make run`'s one process (API, relay, workers)
#   brigade_api       brigade_app: API servers whose workers run elsewhere
#   brigade_projector brigade_worker: brigade-worker processes
#   brigade_auditor   brigade_reader: brigade-replay verify, export, audit
pg_roles() {
  psql -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
DO \$\$
DECLARE
  r text;
  l text[];
BEGIN
  FOREACH r IN ARRAY ARRAY['brigade_app', 'brigade_worker', 'brigade_reader'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN EXECUTE format('CREATE ROLE %I NOLOGIN', r); END IF;
  END LOOP;
  FOREACH l SLICE 1 IN ARRAY ARRAY[['brigade_server', 'brigade_app, brigade_worker'], ['brigade_api', 'brigade_app'],
                                  ['brigade_projector', 'brigade_worker'], ['brigade_auditor', 'brigade_reader']] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = l[1]) THEN
      EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %s', l[1], l[2]);
    END IF;
    EXECUTE format('ALTER ROLE %I PASSWORD %L', l[1], '$pg_password');
  END LOOP;
END
\$\$;
SQL
}

pg_down() {
  local bin data; bin=$(pg_bin) || return 0; data=$(pg_data_dir)
  [ -f "$data/PG_VERSION" ] || return 0
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    say "stopping PostgreSQL"
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
}

nats_pid() { [ -f "$nats_dir/nats.pid" ] && kill -0 "$(cat "$nats_dir/nats.pid")" 2>/dev/null && cat "$nats_dir/nats.pid"; }

nats_up() {
  mkdir -p "$nats_dir/store"
  if nats_pid >/dev/null; then
    say "NATS already running on port $nats_port"
    return
  fi
  say "starting NATS JetStream on 127.0.0.1:$nats_port"
  nohup nats-server -a 127.0.0.1 -p "$nats_port" -m "$nats_monitor_port" -js -sd "$nats_dir/store" \
    -P "$nats_dir/nats.pid" -l "$nats_dir/nats.log" >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$nats_monitor_port/healthz?js-enabled-only=true" >/dev/null 2>&1 && return
    sleep 0.1
  done
  tail -20 "$nats_dir/nats.log" >&2 || true
  die "NATS did not become healthy"
}

nats_down() {
  local pid; pid=$(nats_pid) || return 0
  say "stopping NATS"
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

read -r -a cluster_ports <<< "${BRIGADE_NATS_CLUSTER_PORTS:-54231 54232 54233}"
read -r -a route_ports <<< "${BRIGADE_NATS_ROUTE_PORTS:-56231 56232 56233}"
cluster_dir="$local_dir/nats-cluster"

node_pid() { [ -f "$cluster_dir/n$1.pid" ] && kill -0 "$(cat "$cluster_dir/n$1.pid")" 2>/dev/null && cat "$cluster_dir/n$1.pid"; }

# Three nodes routed to each other, each with its own JetStream storage. A stream with three
# replicas survives the loss of any one of them.
cluster_up() {
  [ ${#cluster_ports[@]} -eq 3 ] && [ ${#route_ports[@]} -eq 3 ] || die "three client ports and three route ports are needed"
  local routes="" i
  for i in 0 1 2; do routes+="nats-route://127.0.0.1:${route_ports[$i]}, "; done
  routes=${routes%, }
  for i in 0 1 2; do
    mkdir -p "$cluster_dir/n$i"
    if node_pid "$i" >/dev/null; then say "NATS node n$i already running on port ${cluster_ports[$i]}"; continue; fi
    cat > "$cluster_dir/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${cluster_ports[$i]}
jetstream { store_dir: "$cluster_dir/n$i" }
cluster { name: brigade, listen: 127.0.0.1:${route_ports[$i]}, routes: [$routes] }
CONF
    say "starting NATS node n$i on 127.0.0.1:${cluster_ports[$i]}"
    rm -f "$cluster_dir/n$i.log"
    nohup nats-server -c "$cluster_dir/n$i.conf" -P "$cluster_dir/n$i.pid" -l "$cluster_dir/n$i.log" >/dev/null 2>&1 &
  done
  # JetStream answers once the nodes have elected their metadata leader.
  for _ in $(seq 1 150); do
    grep -q "metadata leader" "$cluster_dir"/n*.log 2>/dev/null && return
    sleep 0.2
  done
  tail -20 "$cluster_dir"/n*.log >&2 || true
  die "the NATS cluster elected no leader"
}

cluster_down() {
  local i pid
  for i in 0 1 2; do
    pid=$(node_pid "$i") || continue
    say "stopping NATS node n$i"
    kill "$pid"
  done
}

write_cluster_env() {
  local urls="" i
  for i in 0 1 2; do urls+="nats://127.0.0.1:${cluster_ports[$i]},"; done
  cat > "$local_dir/env-cluster" <<ENV
export DATABASE_URL=postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$pg_db
export NATS_URL=${urls%,}
export BRIGADE_STREAM_REPLICAS=3
ENV
  say "cluster settings in $local_dir/env-cluster (NATS_URL lists the three nodes)"
}

write_env() {
  local at="$pg_password@127.0.0.1:$pg_port/$pg_db"
  cat > "$local_dir/env" <<ENV
# The owner's (migrations, demo, tests, rebuilds); each process's own role below.
export DATABASE_URL=postgres://$pg_user:$at
export BRIGADE_SERVER_DATABASE_URL=postgres://brigade_server:$at
export BRIGADE_API_DATABASE_URL=postgres://brigade_api:$at
export BRIGADE_WORKER_DATABASE_URL=postgres://brigade_projector:$at
export BRIGADE_AUDITOR_DATABASE_URL=postgres://brigade_auditor:$at
export NATS_URL=nats://127.0.0.1:$nats_port
ENV
}

case "${1:-}" in
  up)
    mkdir -p "$local_dir"
    install_missing
    pg_up
    pg_roles
    nats_up
    write_env
    ;;
  down) nats_down; cluster_down; pg_down ;;
  cluster-up)
    mkdir -p "$local_dir"
    install_missing
    pg_up
    pg_roles
    cluster_up
    write_env
    write_cluster_env
    ;;
  cluster-down) cluster_down ;;
  status)
    bin=$(pg_bin) && as_pg "$bin/pg_ctl" -D "$(pg_data_dir)" status >/dev/null 2>&1 && say "PostgreSQL: running on $pg_port" || say "PostgreSQL: stopped"
    nats_pid >/dev/null && say "NATS: running on $nats_port" || say "NATS: stopped"
    ;;
  running)
    bin=$(pg_bin) && as_pg "$bin/pg_ctl" -D "$(pg_data_dir)" status >/dev/null 2>&1 && nats_pid >/dev/null
    ;;
  *) die "usage: $0 up|down|status|running|cluster-up|cluster-down" ;;
esac

#!/usr/bin/env bash
# Local infrastructure for development and CI, without Docker:
# a PostgreSQL cluster and a single-node KRaft Kafka broker, both living
# under $CIVIC_STATE and listening on 127.0.0.1 only.
#
# Usage: deploy/local/infra.sh {install|start|stop|status|env|start-kafka|stop-kafka|
#                               start-postgres|stop-postgres|crash-postgres|
#                               install-keycloak|start-keycloak|stop-keycloak}
# (Keycloak, the staff sign-in provider, lives in deploy/local/keycloak.sh; `start`/`stop` leave
# it alone: `make up` starts it, the test suite starts it when a test needs it.)
#   set -a; eval "$(deploy/local/infra.sh env)"; set +a
#
# Settings (environment):
#   CIVIC_STATE                  state dir (default: <repo>/.state)
#   CIVIC_PG_PORT                default 55432
#   CIVIC_PG_MAX_CONNECTIONS     default 300
#   CIVIC_KAFKA_PORT             default 9092
#   CIVIC_KAFKA_CONTROLLER_PORT  default 9093
#   CIVIC_KAFKA_LIBS             Kafka jar dir (default: $CIVIC_STATE/kafka/libs)
#   CIVIC_KEYCLOAK_PORT          default 8180 (more in deploy/local/keycloak.sh)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
KAFKA_DEPLOY="$REPO_ROOT/deploy/kafka"

CIVIC_STATE=${CIVIC_STATE:-$REPO_ROOT/.state}
CIVIC_PG_PORT=${CIVIC_PG_PORT:-55432}
# Room for the processes of a running stack plus test runs beside it (docs/runbook.md).
CIVIC_PG_MAX_CONNECTIONS=${CIVIC_PG_MAX_CONNECTIONS:-300}
CIVIC_KAFKA_PORT=${CIVIC_KAFKA_PORT:-9092}
CIVIC_KAFKA_CONTROLLER_PORT=${CIVIC_KAFKA_CONTROLLER_PORT:-9093}

HOST=127.0.0.1
WAIT_SECONDS=60

# ---------------------------------------------------------------- helpers

log() { printf 'infra: %s\n' "$*" >&2; }
die() { printf 'infra: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Print the last lines of a log file to stderr (used on failures).
show_log_tail() {
  [[ -f $1 ]] || return 0
  printf -- '--- last 30 lines of %s ---\n' "$1" >&2
  tail -n 30 "$1" >&2
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

require_port_free() {
  ! port_open "$1" || die "port $1 on $HOST is already in use by another process ($2)"
}

# apt-get install, refreshing the package index only once per run.
APT_UPDATED=0
apt_install() {
  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: $*"
    sudo=(sudo)
  fi
  if [[ $APT_UPDATED -eq 0 ]]; then
    "${sudo[@]}" apt-get update -qq
    APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@"
}

# Resolve CIVIC_STATE to an absolute path once it exists, and derive paths.
init_paths() {
  mkdir -p "$CIVIC_STATE/logs"
  CIVIC_STATE=$(cd "$CIVIC_STATE" && pwd)
  SECRETS_FILE="$CIVIC_STATE/secrets.env"
  PG_DATA="$CIVIC_STATE/pg/data"
  PG_LOG="$CIVIC_STATE/logs/postgres.log"
  KAFKA_DIR="$CIVIC_STATE/kafka"
  KAFKA_LIBS=${CIVIC_KAFKA_LIBS:-$KAFKA_DIR/libs}
  KAFKA_DATA="$KAFKA_DIR/data"
  KAFKA_PROPS="$KAFKA_DIR/server.properties"
  KAFKA_PID_FILE="$KAFKA_DIR/kafka.pid"
  KAFKA_LOG="$CIVIC_STATE/logs/kafka.log"
}

# ---------------------------------------------------------------- postgres

# Newest installed server, unless the cluster already records its version.
pg_bin_dir() {
  local version dir
  if [[ -f $PG_DATA/PG_VERSION ]]; then
    version=$(<"$PG_DATA/PG_VERSION")
    dir="/usr/lib/postgresql/$version/bin"
    [[ -x $dir/initdb ]] && { echo "$dir"; return; }
  fi
  dir=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
    | sort -V | tail -n 1)
  [[ -n $dir ]] && dirname "$dir"
}

# Postgres refuses to run as root, so as root we act as the postgres user.
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A unix socket path must stay under ~107 bytes; fall back to /tmp when deep.
pg_socket_dir() {
  local dir="$CIVIC_STATE/pg/run"
  if [[ ${#dir} -ge 90 ]]; then
    dir="/tmp/civic-pg-$(printf '%s' "$CIVIC_STATE" | sha256sum | cut -c1-12)"
  fi
  echo "$dir"
}

ensure_postgres_installed() {
  PG_BIN=$(pg_bin_dir || true)
  if [[ -z $PG_BIN ]]; then
    log "installing postgresql (apt)"
    apt_install postgresql
    PG_BIN=$(pg_bin_dir) || die "postgresql installed but initdb not found"
  fi
}

pg_password() {
  [[ -f $SECRETS_FILE ]] || return 1
  sed -n 's/^CIVIC_PG_SUPERUSER_PASSWORD=//p' "$SECRETS_FILE" | tail -n 1
}

# Generated once; the cluster is initialised with it, so never regenerate.
ensure_secrets() {
  [[ -n $(pg_password || true) ]] && return
  [[ -d $PG_DATA/base ]] &&
    die "$SECRETS_FILE is missing but $PG_DATA exists; restore it or remove $PG_DATA"
  (umask 077 && printf 'CIVIC_PG_SUPERUSER_PASSWORD=%s\n' \
    "$(openssl rand -hex 24)" >"$SECRETS_FILE")
}

# CI may clone under a 0700 home: the postgres user must reach the data dir.
ensure_pg_can_traverse() {
  is_root || return 0
  local dir="$CIVIC_STATE" ancestors=() fixed=() i
  while [[ $dir != / ]]; do
    ancestors=("$dir" "${ancestors[@]}")
    dir=$(dirname "$dir")
  done
  # Top-down, so only the directories that actually block get changed.
  for i in "${ancestors[@]}"; do
    if ! runuser -u postgres -- test -x "$i"; then
      chmod o+x "$i"
      fixed+=("$i")
    fi
  done
  [[ ${#fixed[@]} -eq 0 ]] ||
    log "note: added o+x to ${fixed[*]} so the postgres user can reach $PG_DATA"
}

# Directories the server writes to must belong to the user it runs as.
prepare_pg_dirs() {
  local socket_dir=$1
  mkdir -p "$PG_DATA" "$socket_dir"
  touch "$PG_LOG"
  chmod 700 "$PG_DATA"
  if is_root; then
    chown postgres:postgres "$PG_DATA" "$socket_dir" "$PG_LOG"
  fi
}

pg_initdb() {
  local pwfile
  log "initialising postgres cluster in $PG_DATA"
  pwfile=$(mktemp)
  pg_password >"$pwfile"
  is_root && chown postgres "$pwfile"
  if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 \
      --auth-host=scram-sha-256 --auth-local=peer --pwfile="$pwfile" \
      >>"$PG_LOG" 2>&1; then
    rm -f "$pwfile"
    show_log_tail "$PG_LOG"
    die "initdb failed"
  fi
  rm -f "$pwfile"
  # Settings that may change between runs (port) live in a regenerated file.
  echo "include_if_exists = 'civic.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

pg_write_runtime_conf() {
  as_pg tee "$PG_DATA/civic.conf" >/dev/null <<EOF
# Written by deploy/local/infra.sh on every start; edits are overwritten.
listen_addresses = '$HOST'
port = $CIVIC_PG_PORT
unix_socket_directories = '$1'
max_connections = $CIVIC_PG_MAX_CONNECTIONS
EOF
}

pg_running() {
  [[ -n ${PG_BIN:-} && -f $PG_DATA/PG_VERSION ]] || return 1
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

start_postgres() {
  if pg_running; then
    log "postgres already running"
    return
  fi
  local socket_dir
  socket_dir=$(pg_socket_dir)
  ensure_secrets
  ensure_pg_can_traverse
  prepare_pg_dirs "$socket_dir"
  [[ -f $PG_DATA/PG_VERSION ]] || pg_initdb
  pg_write_runtime_conf "$socket_dir"
  log "starting postgres on $HOST:$CIVIC_PG_PORT"
  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" \
      -w -t "$WAIT_SECONDS" >/dev/null; then
    show_log_tail "$PG_LOG"
    die "postgres did not start within ${WAIT_SECONDS}s"
  fi
  "$PG_BIN/pg_isready" -q -h "$HOST" -p "$CIVIC_PG_PORT" -t 10 || {
    show_log_tail "$PG_LOG"
    die "postgres is running but not answering on $HOST:$CIVIC_PG_PORT"
  }
}

stop_postgres() {
  if pg_running; then
    log "stopping postgres"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w >/dev/null
  fi
}

# ---------------------------------------------------------------- kafka

ensure_java() {
  command -v java >/dev/null ||
    die "java not found; install a JDK/JRE 17+ (e.g. apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  [[ ${major:-0} -ge 17 ]] || die "Kafka 4 needs Java 17+, found: $(java -version 2>&1 | head -n 1)"
}

have_kafka_jars() { compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; }

# Fetch into a temp dir and rename, so an interrupted fetch never looks complete.
ensure_kafka_jars() {
  have_kafka_jars && return
  command -v mvn >/dev/null || die "mvn not found; needed once to fetch Kafka jars"
  log "fetching Kafka jars into $KAFKA_LIBS"
  local tmp="$KAFKA_LIBS.partial" mvn_log="$CIVIC_STATE/logs/maven.log"
  rm -rf "$tmp"
  # Maven's quiet mode still prints errors (and stray ANSI codes) on stdout.
  mvn -q -B -f "$KAFKA_DEPLOY/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$mvn_log" 2>&1 || {
    show_log_tail "$mvn_log"
    die "fetching Kafka jars with Maven failed"
  }
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  have_kafka_jars || die "no kafka_2.13 jar after fetch"
}

kafka_java() {
  java -cp "$KAFKA_LIBS/*" \
    -Dlog4j2.configurationFile="$KAFKA_DEPLOY/log4j2.properties" "$@"
}

kafka_pid() {
  local pid
  [[ -f $KAFKA_PID_FILE ]] || return 1
  pid=$(<"$KAFKA_PID_FILE")
  # Guard against a recycled pid belonging to something else.
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' &&
    echo "$pid"
}

# Ports may change between runs, so the properties are rendered every start.
render_kafka_props() {
  # shellcheck disable=SC2016 # envsubst takes the literal variable names
  KAFKA_PORT=$CIVIC_KAFKA_PORT CONTROLLER_PORT=$CIVIC_KAFKA_CONTROLLER_PORT \
    KAFKA_DATA=$KAFKA_DATA \
    envsubst '${KAFKA_PORT} ${CONTROLLER_PORT} ${KAFKA_DATA}' \
    <"$KAFKA_DEPLOY/server.properties.tmpl" >"$KAFKA_PROPS"
}

# Format exactly once: re-formatting would wipe the topics.
format_kafka_storage() {
  [[ -f $KAFKA_DATA/meta.properties ]] && return
  local id_file="$KAFKA_DIR/cluster.id"
  if [[ ! -s $id_file ]]; then
    kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null \
      | grep -E '^[A-Za-z0-9_-]{22}$' >"$id_file" || die "could not generate a Kafka cluster id"
  fi
  log "formatting Kafka storage in $KAFKA_DATA"
  kafka_java kafka.tools.StorageTool format -t "$(<"$id_file")" \
    -c "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 || {
    show_log_tail "$KAFKA_LOG"
    die "kafka storage format failed"
  }
}

wait_for_kafka() {
  local pid=$1 log_offset=$2 deadline=$((SECONDS + WAIT_SECONDS))
  until port_open "$CIVIC_KAFKA_PORT" &&
      tail -c "+$((log_offset + 1))" "$KAFKA_LOG" | grep -q 'Kafka Server started'; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail "$KAFKA_LOG"
      die "kafka exited during startup"
    fi
    if [[ $SECONDS -ge $deadline ]]; then
      show_log_tail "$KAFKA_LOG"
      die "kafka did not answer on $HOST:$CIVIC_KAFKA_PORT within ${WAIT_SECONDS}s"
    fi
    sleep 0.5
  done
}

start_kafka() {
  if kafka_pid >/dev/null; then
    log "kafka already running"
    return
  fi
  mkdir -p "$KAFKA_DATA"
  render_kafka_props
  format_kafka_storage
  log "starting kafka on $HOST:$CIVIC_KAFKA_PORT"
  local log_offset pid
  log_offset=$(stat -c %s "$KAFKA_LOG" 2>/dev/null || echo 0)
  rm -f "$KAFKA_PID_FILE"
  # setsid detaches the broker from the caller's session so it outlives it;
  # setsid may fork, so the wrapper records its own pid right before exec.
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
    java -Xmx768m -cp "$KAFKA_LIBS/*" \
    -Dlog4j2.configurationFile="$KAFKA_DEPLOY/log4j2.properties" \
    kafka.Kafka "$KAFKA_PROPS" >>"$KAFKA_LOG" 2>&1 </dev/null &
  pid=$(wait_for_pid_file)
  wait_for_kafka "$pid" "$log_offset"
}

wait_for_pid_file() {
  local tries=50
  until [[ -s $KAFKA_PID_FILE ]]; do
    ((--tries > 0)) || die "kafka launcher did not write $KAFKA_PID_FILE"
    sleep 0.1
  done
  cat "$KAFKA_PID_FILE"
}

stop_kafka() {
  local pid
  if ! pid=$(kafka_pid); then
    rm -f "$KAFKA_PID_FILE"
    return
  fi
  log "stopping kafka (pid $pid)"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [[ $SECONDS -lt $deadline ]]; do
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "kafka still running after 30s; sending SIGKILL"
    kill -KILL "$pid"
  fi
  rm -f "$KAFKA_PID_FILE"
}

# ---------------------------------------------------------------- commands

cmd_install() {
  ensure_postgres_installed
  ensure_java
  ensure_kafka_jars
}

# Fail before starting anything, rather than leave half the stack running.
check_ports_free() {
  if ! pg_running; then
    require_port_free "$CIVIC_PG_PORT" CIVIC_PG_PORT
  fi
  if ! kafka_pid >/dev/null; then
    require_port_free "$CIVIC_KAFKA_PORT" CIVIC_KAFKA_PORT
    require_port_free "$CIVIC_KAFKA_CONTROLLER_PORT" CIVIC_KAFKA_CONTROLLER_PORT
  fi
}

cmd_start() {
  cmd_install
  check_ports_free
  start_postgres
  start_kafka
  log "ready: postgres $HOST:$CIVIC_PG_PORT, kafka $HOST:$CIVIC_KAFKA_PORT"
}

# Kafka alone, for tests that stop and restart a private broker (its own CIVIC_STATE and ports).
cmd_start_kafka() {
  ensure_java
  ensure_kafka_jars
  kafka_pid >/dev/null || require_port_free "$CIVIC_KAFKA_PORT" CIVIC_KAFKA_PORT
  start_kafka
}

cmd_stop_kafka() { stop_kafka; }

# Postgres alone, for fault tests on a private cluster (their own CIVIC_STATE and port).
cmd_start_postgres() {
  ensure_postgres_installed
  pg_running || require_port_free "$CIVIC_PG_PORT" CIVIC_PG_PORT
  start_postgres
}

cmd_stop_postgres() {
  PG_BIN=$(pg_bin_dir || true)
  stop_postgres
}

# What an operator's worst day does: every connection cut, crash recovery, back again.
cmd_crash_postgres() {
  PG_BIN=$(pg_bin_dir)
  pg_running || die "postgres is not running"
  log "stopping postgres immediately (no shutdown checkpoint), then starting it again"
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t "$WAIT_SECONDS" >/dev/null ||
    { show_log_tail "$PG_LOG"; die "immediate stop failed"; }
  start_postgres
}

cmd_stop() {
  PG_BIN=$(pg_bin_dir || true)
  stop_kafka
  stop_postgres
}

# Exit status 3 when something is not running (like LSB init scripts).
cmd_status() {
  local rc=0 pg_state=stopped kafka_state=stopped
  PG_BIN=$(pg_bin_dir || true)
  if pg_running; then pg_state=running; else rc=3; fi
  if kafka_pid >/dev/null; then kafka_state=running; else rc=3; fi
  printf 'postgres  %-8s %s:%s\n' "$pg_state" "$HOST" "$CIVIC_PG_PORT"
  printf 'kafka     %-8s %s:%s\n' "$kafka_state" "$HOST" "$CIVIC_KAFKA_PORT"
  return "$rc"
}

cmd_env() {
  local pw
  pw=$(pg_password || true)
  [[ -n $pw ]] || die "no $SECRETS_FILE yet; run: $0 start"
  cat <<EOF
CIVIC_PG_HOST=$HOST
CIVIC_PG_PORT=$CIVIC_PG_PORT
CIVIC_PG_SUPERUSER_PASSWORD=$pw
CIVIC_ADMIN_DATABASE_URL=postgresql://postgres:$pw@$HOST:$CIVIC_PG_PORT/postgres
CIVIC_KAFKA_BOOTSTRAP=$HOST:$CIVIC_KAFKA_PORT
EOF
}

main() {
  local cmd=${1:-}
  case $cmd in
    install-keycloak | start-keycloak | stop-keycloak)
      exec "$SCRIPT_DIR/keycloak.sh" "${cmd%-keycloak}"
      ;;
    install | start | stop | status | env | start-kafka | stop-kafka | start-postgres | stop-postgres | crash-postgres)
      init_paths
      "cmd_${cmd//-/_}"
      ;;
    *)
      echo "usage: $0 {install|start|stop|status|env|start-kafka|stop-kafka|start-postgres|stop-postgres|crash-postgres|install-keycloak|start-keycloak|stop-keycloak}" >&2
      exit 2
      ;;
  esac
}

main "$@"

#!/usr/bin/env bash
# Keycloak for the embedded default: the OpenID Connect provider staff sign in at (issue 14).
# Dev mode over http on 127.0.0.1, its own H2 database under $CIVIC_STATE/keycloak, the realm
# deploy/keycloak/realm-civic.json imported on the first start (later starts keep what the
# realm holds; `reset` forgets it so the file is imported again).
#
# Usage: deploy/local/keycloak.sh {install|start|stop|status|reset|env}
#   (also as deploy/local/infra.sh {install-keycloak|start-keycloak|stop-keycloak})
#
# Settings (environment):
#   CIVIC_STATE               state dir (default: <repo>/.state)
#   CIVIC_KEYCLOAK_PORT       default 8180
#   CIVIC_KEYCLOAK_VERSION    default 26.5.6 (runs on Java 17; fetched from Maven Central)
#   CIVIC_KEYCLOAK_HEAP       JVM heap options (default "-Xms64m -Xmx512m")
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
REALM_FILE="$REPO_ROOT/deploy/keycloak/realm-civic.json"

CIVIC_STATE=${CIVIC_STATE:-$REPO_ROOT/.state}
CIVIC_KEYCLOAK_PORT=${CIVIC_KEYCLOAK_PORT:-8180}
CIVIC_KEYCLOAK_VERSION=${CIVIC_KEYCLOAK_VERSION:-26.5.6}
CIVIC_KEYCLOAK_HEAP=${CIVIC_KEYCLOAK_HEAP:--Xms64m -Xmx512m}
HOST=127.0.0.1
# The first start builds Quarkus (a minute or more on a busy machine) and creates the realm.
WAIT_SECONDS=${CIVIC_KEYCLOAK_WAIT_SECONDS:-300}

log() { printf 'keycloak: %s\n' "$*" >&2; }
die() { printf 'keycloak: error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

init_paths() {
  mkdir -p "$CIVIC_STATE/logs" "$CIVIC_STATE/keycloak"
  CIVIC_STATE=$(cd "$CIVIC_STATE" && pwd)
  KC_DIR="$CIVIC_STATE/keycloak"
  KC_HOME_DIR="$KC_DIR/keycloak-$CIVIC_KEYCLOAK_VERSION"
  KC_PID_FILE="$KC_DIR/keycloak.pid"
  KC_ADMIN_FILE="$KC_DIR/admin.env"
  KC_LOG="$CIVIC_STATE/logs/keycloak.log"
  ISSUER="http://$HOST:$CIVIC_KEYCLOAK_PORT/realms/civic"
}

ensure_java() {
  command -v java >/dev/null || die "java not found; install a JDK/JRE 17+"
  local major
  major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  [[ ${major:-0} -ge 17 ]] || die "Keycloak 26 needs Java 17+, found: $(java -version 2>&1 | head -n 1)"
}

# The distribution is a tar.gz artifact on Maven Central, fetched the way infra.sh fetches the
# Kafka jars (Maven, so the same mirror settings apply); unpacked beside its state.
ensure_keycloak() {
  [[ -x $KC_HOME_DIR/bin/kc.sh ]] && return
  command -v mvn >/dev/null || die "mvn not found; needed once to fetch Keycloak"
  local tmp="$KC_DIR/download.partial" mvn_log="$CIVIC_STATE/logs/maven-keycloak.log"
  log "fetching Keycloak $CIVIC_KEYCLOAK_VERSION (about 160 MB, once)"
  rm -rf "$tmp" && mkdir -p "$tmp"
  mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$CIVIC_KEYCLOAK_VERSION:tar.gz" \
    -DoutputDirectory="$tmp" >"$mvn_log" 2>&1 || {
    tail -n 30 "$mvn_log" >&2
    die "fetching Keycloak with Maven failed"
  }
  tar -xzf "$tmp/keycloak-quarkus-dist-$CIVIC_KEYCLOAK_VERSION.tar.gz" -C "$tmp"
  mv "$tmp/keycloak-$CIVIC_KEYCLOAK_VERSION" "$KC_HOME_DIR"
  rm -rf "$tmp"
}

# The bootstrap admin of the master realm (admin console, admin API in tests), generated once.
ensure_admin_secret() {
  [[ -s $KC_ADMIN_FILE ]] && return
  (umask 077 && printf 'CIVIC_KEYCLOAK_ADMIN_USER=admin\nCIVIC_KEYCLOAK_ADMIN_PASSWORD=%s\n' \
    "$(openssl rand -hex 16)" >"$KC_ADMIN_FILE")
}

keycloak_pid() {
  local pid
  [[ -f $KC_PID_FILE ]] || return 1
  pid=$(<"$KC_PID_FILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'keycloak' &&
    echo "$pid"
}

realm_answers() {
  curl -fsS -o /dev/null --max-time 3 "$ISSUER/.well-known/openid-configuration" 2>/dev/null
}

cmd_install() {
  ensure_java
  ensure_keycloak
}

cmd_start() {
  if realm_answers; then
    log "already running: $ISSUER"
    return
  fi
  keycloak_pid >/dev/null && die "keycloak (pid $(keycloak_pid)) runs but $ISSUER does not answer; see $KC_LOG"
  port_open "$CIVIC_KEYCLOAK_PORT" &&
    die "port $CIVIC_KEYCLOAK_PORT on $HOST is in use by another process (CIVIC_KEYCLOAK_PORT)"
  cmd_install
  ensure_admin_secret
  mkdir -p "$KC_HOME_DIR/data/import"
  cp "$REALM_FILE" "$KC_HOME_DIR/data/import/realm-civic.json"
  local admin_user admin_password pid deadline
  admin_user=$(sed -n 's/^CIVIC_KEYCLOAK_ADMIN_USER=//p' "$KC_ADMIN_FILE")
  admin_password=$(sed -n 's/^CIVIC_KEYCLOAK_ADMIN_PASSWORD=//p' "$KC_ADMIN_FILE")
  log "starting keycloak on $HOST:$CIVIC_KEYCLOAK_PORT (log: $KC_LOG)"
  rm -f "$KC_PID_FILE"
  # setsid: it outlives the caller; the wrapper records its pid before exec (as for Kafka).
  # shellcheck disable=SC2016 # expanded by the inner bash
  KC_BOOTSTRAP_ADMIN_USERNAME=$admin_user KC_BOOTSTRAP_ADMIN_PASSWORD=$admin_password \
    JAVA_OPTS_KC_HEAP="$CIVIC_KEYCLOAK_HEAP" \
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KC_PID_FILE" \
    "$KC_HOME_DIR/bin/kc.sh" start-dev --import-realm \
    --http-host="$HOST" --http-port="$CIVIC_KEYCLOAK_PORT" \
    --http-management-port="$((CIVIC_KEYCLOAK_PORT + 1000))" \
    >>"$KC_LOG" 2>&1 </dev/null &
  deadline=$((SECONDS + WAIT_SECONDS))
  until realm_answers; do
    pid=$(keycloak_pid || true)
    if [[ -z $pid && -s $KC_PID_FILE ]]; then
      tail -n 30 "$KC_LOG" >&2
      die "keycloak exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$KC_LOG" >&2
      die "keycloak did not answer at $ISSUER within ${WAIT_SECONDS}s"
    fi
    sleep 1
  done
  log "ready: $ISSUER (sign in at any page, e.g. http://$HOST:8001/aanmelden)"
}

cmd_stop() {
  local pid
  if ! pid=$(keycloak_pid); then
    rm -f "$KC_PID_FILE"
    return
  fi
  log "stopping keycloak (pid $pid)"
  # kc.sh may run java as its child: stop the whole process group setsid gave it.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 -- "-$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 -- "-$pid" 2>/dev/null; then
    log "keycloak still running after 30s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$KC_PID_FILE"
}

# Forget every user, session and realm change; the next start imports the realm file again.
cmd_reset() {
  keycloak_pid >/dev/null && die "stop keycloak first"
  rm -rf "$KC_HOME_DIR/data/h2"
  log "realm data removed; the next start imports $REALM_FILE"
}

cmd_status() {
  if realm_answers; then
    printf 'keycloak  %-8s %s\n' running "$ISSUER"
  else
    printf 'keycloak  %-8s %s\n' stopped "$ISSUER"
    return 3
  fi
}

cmd_env() {
  echo "CIVIC_OIDC_ISSUER=$ISSUER"
  echo "CIVIC_OIDC_CLIENT_ID=civic-pages"
  [[ -s $KC_ADMIN_FILE ]] && cat "$KC_ADMIN_FILE"
  return 0
}

main() {
  local cmd=${1:-}
  case $cmd in
    install | start | stop | status | reset | env)
      init_paths
      "cmd_$cmd"
      ;;
    *)
      echo "usage: $0 {install|start|stop|status|reset|env}" >&2
      exit 2
      ;;
  esac
}

main "$@"

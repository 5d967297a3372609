#!/usr/bin/env bash
# Lays out what the images put under /app, without a Docker engine: the production node_modules installed from the
# lockfile (npm ci --omit=dev --ignore-scripts) and pruned by docker/runtime/prune-node-modules.sh, the bundles in dist/,
# the migrations and the bin/ wrappers; prints its sizes (the top 10 packages); then, unless --no-smoke, runs from that
# tree alone: metastore-migrate on a new database, the API on it and on its embedded database, `metastore token`, an
# authenticated request, the sync worker once, and the search indexer's start.
#   tools/deploy-check/runtime-tree.sh [--keep] [--no-smoke]   (DATABASE_URL: a server where it may create a database)
set -euo pipefail
cd "$(dirname "$0")/../.."
keep=0 smoke=1
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --no-smoke) smoke=0 ;;
    *) echo "usage: $0 [--keep] [--no-smoke]" >&2 && exit 2 ;;
  esac
done
work=$(mktemp -d /tmp/metastore-runtime-tree.XXXXXX)
app="$work/app"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$keep" -eq 0 ]; then rm -rf "$work"; else echo "kept: $work"; fi
}
trap cleanup EXIT

echo "::: bundles (node tools/build.mjs)"
node tools/build.mjs >/dev/null

echo "::: production dependencies from the lockfile"
install="$work/install"
mkdir -p "$install" "$app/dist" "$app/catalog-postgres" "$app/bin"
cp package.json package-lock.json .npmrc "$install/"
for manifest in components/*/package.json bases/*/package.json projects/*/package.json; do
  mkdir -p "$install/$(dirname "$manifest")" && cp "$manifest" "$install/$manifest"
done
(cd "$install" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
unpruned=$(du -sm "$install/node_modules" | cut -f1)
# The workspace bricks are bundled into dist/: their links in node_modules would point at nothing in the image.
rm -rf "$install/node_modules/@metastore"
sh docker/runtime/prune-node-modules.sh "$install/node_modules"
mv "$install/node_modules" "$app/node_modules"
for bundle in metadata-api sync-worker search-indexer cli; do cp -r "dist/$bundle" "$app/dist/$bundle"; done
find "$app/dist" -name '*.map' -delete
cp components/catalog-postgres/prisma.config.ts "$app/catalog-postgres/"
cp -r components/catalog-postgres/prisma "$app/catalog-postgres/prisma"
cp docker/runtime/metastore docker/runtime/metastore-migrate "$app/bin/"

echo "::: sizes"
echo "node_modules from npm ci --omit=dev: ${unpruned} MB; after pruning: $(du -sm "$app/node_modules" | cut -f1) MB"
for bundle in metadata-api sync-worker search-indexer cli; do echo "dist/$bundle: $(du -sk "$app/dist/$bundle" | cut -f1) KB"; done
echo "migrations: $(du -sk "$app/catalog-postgres" | cut -f1) KB; whole /app: $(du -sm "$app" | cut -f1) MB"
echo "largest packages:"
(cd "$app/node_modules" && for package in [!@]* @*/*; do du -sk -- "$package"; done | sort -rn | head -10 | awk '{printf "  %6.1f MB  %s\n", $1 / 1024, $2}')

[ "$smoke" -eq 1 ] || exit 0
echo "::: smoke test from the tree alone"
export METASTORE_HOME="$app" PATH="$app/bin:$PATH" NODE_ENV=production LOG_LEVEL=warn
unset METASTORE_PRISMA_CONFIG
export METASTORE_PRISMA_CONFIG="$app/catalog-postgres/prisma.config.ts"
server_url=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
database="metastore_runtime_$$"
psql "$server_url" -qc "CREATE DATABASE $database" >/dev/null
trap 'psql "$server_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null; cleanup' EXIT
database_url="${server_url%/*}/$database"
port=$((20000 + RANDOM % 20000))
# Run from an empty directory: nothing may resolve from the checkout.
cd "$work"

DATABASE_URL="$database_url" metastore-migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; exit 1; }
echo "metastore-migrate: $(grep -c . "$work/migrate.log") lines, tables: $(psql "$database_url" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"

wait_ready() {
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "not ready on port $1" >&2
  return 1
}
start_api() { # dataDir port [DATABASE_URL]
  env ${3:+DATABASE_URL=$3} METASTORE_DATA_DIR="$1" PORT="$2" HOST=127.0.0.1 node "$app/dist/metadata-api/main.js" >"$1.log" 2>&1 &
  pids+=($!)
}
start_api "$work/data" "$port" "$database_url"
wait_ready "$port"
token=$(METASTORE_DATA_DIR="$work/data" metastore token --sub smoke --role '*=admin' 2>/dev/null)
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -X POST "http://127.0.0.1:$port/api/v1/datasets" \
  -d '{"owner":"smoke","name":"first","descriptor":{"name":"first","resources":[{"name":"r","path":"r.csv"}]},"message":"smoke"}')
echo "API on PostgreSQL: /readyz 200, metastore token, POST /api/v1/datasets: $status"
[ "$status" = 201 ]
kill -TERM "${pids[-1]}" && wait "${pids[-1]}" || true

DATABASE_URL="$database_url" METASTORE_DATA_DIR="$work/data" SYNC_MODE=once node "$app/dist/sync-worker/main.js" >"$work/worker.log" 2>&1
echo "sync worker once: exit 0"
DATABASE_URL="$database_url" METASTORE_DATA_DIR="$work/data" metastore catalog sync 2>/dev/null

embedded_port=$((port + 1))
start_api "$work/embedded" "$embedded_port"
wait_ready "$embedded_port"
echo "API on the embedded database (PGlite): /readyz 200"
kill -TERM "${pids[-1]}" && wait "${pids[-1]}" || true

if [ -n "${REDIS_URL:-}" ]; then
  INDEXER_DATA_DIR="$work/index" METASTORE_EVENTS_STREAM="metastore-runtime-$$" LOG_LEVEL=info node "$app/dist/search-indexer/main.js" >"$work/indexer.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do grep -q . "$work/indexer.log" && break; sleep 0.5; done
  kill -0 "${pids[-1]}" && echo "search indexer: started ($(head -c 120 "$work/indexer.log"))"
  kill -TERM "${pids[-1]}" && wait "${pids[-1]}" || true
fi
echo "runtime tree: all checks passed"

#!/bin/sh
# Removes from a production node_modules (installed with `npm ci --omit=dev --ignore-scripts`) what nothing loads at
# run time. Run in the images' deps stage and by tools/deploy-check/runtime-tree.sh, which measures the result and runs
# the API, the CLI and `prisma migrate deploy` from it. Usage: prune-node-modules.sh <node_modules directory>
set -eu
modules="${1:?usage: prune-node-modules.sh <node_modules directory>}"
cd "$modules"
# Peer-optional of prisma and type-only packages (npm keeps them with --omit=dev as devOptional): no code requires them.
rm -rf typescript @types
# Source maps, TypeScript declarations and effect's TypeScript sources (its dist/ is what runs).
find . \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
rm -rf effect/src
# The generated Prisma client loads only runtime/client.js and the PostgreSQL query compiler (engineType "client"):
# drop the other databases' engines and compilers, the ESM copies and the edge/browser/react-native runtimes.
find @prisma/client/runtime -type f \( -name '*.mjs' -o -name 'query_engine_bg.*' \
  -o -name '*cockroachdb*' -o -name '*mysql*' -o -name '*sqlite*' -o -name '*sqlserver*' \
  -o -name 'edge*' -o -name 'wasm-*' -o -name 'react-native*' -o -name 'index-browser*' -o -name 'binary.*' -o -name 'library.*' \) -delete
# The Prisma CLI runs only `migrate deploy` here (the schema engine); the query engines and other databases' compilers
# serve `generate`, `studio` and other providers.
find prisma/build -maxdepth 1 -type f \( -name 'query_engine_bg.*' -o -name '*cockroachdb*' -o -name '*mysql*' -o -name '*sqlite*' -o -name '*sqlserver*' \) -delete
rm -rf prisma/build/public

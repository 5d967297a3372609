// Preloaded into the Prisma CLI (`node --require`) by `npm run db:migrate` and migrateDatabase().
// Prisma 6.19's WebAssembly schema engine arms a 10 s setTimeout as the timeout of its
// `SELECT pg_advisory_lock(...)` and never clears it, so `prisma migrate deploy` finishes in about a
// second and then idles for ten. Timers armed from WebAssembly are unref'd: they still fire while a
// query keeps a connection busy (the lock wait they guard), but no longer hold a finished process open.
'use strict';

const armTimer = global.setTimeout;

global.setTimeout = function setTimeoutUnrefFromWasm(callback, delay, ...args) {
  const timer = armTimer(callback, delay, ...args);
  if (delay >= 1000 && /wasm:\/\//.test(new Error().stack ?? '')) timer.unref();
  return timer;
};

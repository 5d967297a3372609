import type { RequestHandler } from 'express';

/**
 * The response headers helmet 8's defaults set (`helmet()`), precomputed: the API serves JSON, and /docs (Swagger UI)
 * loads only its own scripts and styles, which the default Content-Security-Policy allows. `security-headers.spec.ts`
 * compares them with what helmet itself sets, so an upgrade that changes its defaults fails there. helmet also removes
 * `X-Powered-By`, which the app never sends (`app.disable('x-powered-by')`).
 */
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  [
    'Content-Security-Policy',
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;" +
      "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
  ],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

/**
 * Sets `SECURITY_HEADERS` on every response: one middleware and a loop over constants, where helmet runs its dozen
 * middlewares per request (about 16 µs of a read's CPU on the read bench; `npm run bench -- --only=read --profile`).
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
  next();
};

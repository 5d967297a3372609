import { parseArgs } from 'node:util';
import { JwtIssuer } from '@metastore/auth-jwt';
import { formatScope, isRole, parseScopes, type Role } from '@metastore/authz';
import { loadTokenConfig, resolveJwtSettings } from '@metastore/runtime';
import type { CliIo } from './cli';

const USAGE = `Usage: metastore token --sub SUBJECT [options]

Issues a bearer token for the API, signed with this installation's key: METASTORE_JWT_SECRET or
METASTORE_JWT_PRIVATE_KEY when set, else the embedded default's generated secret in
METASTORE_DATA_DIR/jwt-secret (created if missing; the API uses the same file).

Options:
  --sub SUBJECT       The token's subject (required), e.g. alice or ci-nightly.
  --name NAME         Display name; with --email it becomes the author of commits and tags.
  --email EMAIL
  --scope SCOPE       obj:{owner}/{name}:{read|write|tag|delete|admin}, * wildcards (repeatable;
                      signed as the JSON array claim 'scopes').
  --role OWNER=ROLE   reader, editor, maintainer or admin of an owner (* for every owner; repeatable).
  --expires SECONDS   Lifetime (default 3600, at most 30 days).
  -h, --help          Show this help.

Example: metastore token --sub alice --scope 'obj:acme/*:write' --scope 'obj:acme/*:read'
`;

const MAX_LIFETIME = 30 * 24 * 3600;

/** `metastore token`: prints a signed token on stdout (and its id and expiry on stderr); resolves to the exit code. */
export async function runTokenCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        sub: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        scope: { type: 'string', multiple: true },
        role: { type: 'string', multiple: true },
        expires: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr.write(`metastore token: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (!values.sub) problems.push('--sub is required');
  const lifetime = Number(values.expires);
  if (!Number.isInteger(lifetime) || lifetime < 60 || lifetime > MAX_LIFETIME)
    problems.push(`--expires must be whole seconds between 60 and ${MAX_LIFETIME}`);
  const roles: Record<string, Role> = {};
  for (const entry of values.role ?? []) {
    const [owner, role] = entry.split('=');
    if (!owner || !isRole(role)) problems.push(`--role ${entry}: expected OWNER=reader|editor|maintainer|admin`);
    else roles[owner] = role;
  }
  // Scopes stay a list end to end: the token carries them as a JSON array claim, one formatted scope per item.
  let scopes: string[] = [];
  try {
    scopes = parseScopes(values.scope ?? []).map(formatScope);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (problems.length > 0) {
    io.stderr.write(`metastore token: ${problems.join('; ')}\n`);
    return 2;
  }
  let issuer: JwtIssuer;
  try {
    // The JWT settings the API would use with the same environment (the runtime resolves both).
    const config = loadTokenConfig(io.env);
    issuer = new JwtIssuer((await resolveJwtSettings(config, config.dataDir)).jwt);
  } catch (error) {
    io.stderr.write(`metastore token: ${(error as Error).message}\n`);
    return 2;
  }
  if (!issuer.canIssue) {
    io.stderr.write('metastore token: this configuration verifies tokens with public keys only; get tokens from your identity provider\n');
    return 2;
  }
  const issued = issuer.issue(
    {
      sub: values.sub!,
      ...(values.name ? { name: values.name } : {}),
      ...(values.email ? { email: values.email } : {}),
      ...(scopes.length > 0 ? { scopes } : {}),
      ...(Object.keys(roles).length > 0 ? { roles } : {}),
    },
    lifetime,
  );
  io.stdout.write(`${issued.token}\n`);
  io.stderr.write(`token ${issued.tokenId} for ${values.sub}, expires ${issued.expiresAt.toISOString()}\n`);
  return 0;
}

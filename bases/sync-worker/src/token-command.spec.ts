import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { JwtVerifier, parseJwtConfig } from '@metastore/auth-jwt';
import { parsePrincipal } from '@metastore/authz';
import { runCli } from './cli';

function io(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { env, stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text), isTTY: false } },
  };
}

describe('metastore token', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'metastore-token-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('signs a development token with the installation’s generated secret (created 0600 on first use), which the API’s verifier accepts', async () => {
    const run = io({ METASTORE_DATA_DIR: dataDir });
    const code = await runCli(
      [
        'token',
        '--sub',
        'alice',
        '--name',
        'Alice',
        '--email',
        'alice@example.com',
        '--scope',
        'obj:acme/*:write',
        '--scope',
        'obj:acme/x:tag',
        '--role',
        'acme=reader',
        '--expires',
        '600',
      ],
      run.io,
    );
    expect(code).toBe(0);
    const secretFile = path.join(dataDir, 'jwt-secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const verifier = new JwtVerifier(parseJwtConfig({}, (await readFile(secretFile, 'utf8')).trim()));
    const verified = await verifier.verify(run.out.join('').trim());
    expect(parsePrincipal(verified.claims)).toMatchObject({
      subject: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      roles: { acme: 'reader' },
      scopes: [
        { owner: 'acme', name: '*', action: 'write' },
        { owner: 'acme', name: 'x', action: 'tag' },
      ],
    });
    // Scopes as a JSON array claim, never joined into one space-separated string.
    expect(verified.claims).toMatchObject({ scopes: ['obj:acme/*:write', 'obj:acme/x:tag'] });
    expect(verified.claims).not.toHaveProperty('scope');
    expect(verified.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect(run.err.join('')).toMatch(/expires/);
  });

  it('uses the configured secret when there is one, and refuses bad options with exit code 2', async () => {
    const secret = 'c'.repeat(40);
    const run = io({ METASTORE_JWT_SECRET: secret, METASTORE_DATA_DIR: dataDir });
    expect(await runCli(['token', '--sub', 'bot'], run.io)).toBe(0);
    expect((await new JwtVerifier(parseJwtConfig({ METASTORE_JWT_SECRET: secret })).verify(run.out.join('').trim())).subject).toBe('bot');
    for (const args of [
      ['token'],
      ['token', '--sub', 'x', '--role', 'acme=owner'],
      ['token', '--sub', 'x', '--scope', 'obj:ACME/*:read'],
      ['token', '--sub', 'x', '--expires', '10'],
    ]) {
      const bad = io({ METASTORE_DATA_DIR: dataDir });
      expect(await runCli(args, bad.io)).toBe(2);
      expect(bad.out).toEqual([]);
    }
  });
});

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The embedded default's signing secret: read from `<dataDir>/jwt-secret`, or generated there (256 random
 * bits, file mode 0600) on first start. Returns whether it was just created, so the service can say how to get a token.
 */
export async function ensureLocalSigningSecret(dataDir: string): Promise<{ secret: string; file: string; created: boolean }> {
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret.length >= 32) return { secret, file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // 'wx' never overwrites a secret another process wrote meanwhile; then that one is read.
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return { secret, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { secret: (await readFile(file, 'utf8')).trim(), file, created: false };
  }
}

import fs from 'node:fs';

/** What every isomorphic-git call needs: the file system, the bare repository and a shared object cache. */
export interface GitContext {
  readonly fs: typeof fs;
  readonly gitdir: string;
  readonly cache: object;
}

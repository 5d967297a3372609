import type { PromiseFsClient } from 'isomorphic-git';

/** What every isomorphic-git call needs: the (crash-safe) file system, the bare repository and a shared object cache. */
export interface GitContext {
  readonly fs: PromiseFsClient;
  readonly gitdir: string;
  readonly cache: object;
}

export {
  makeDirectoryDurably,
  nonce,
  syncDirectory,
  syncTree,
  writeFileAtomically,
  writeFileDurably,
  writeNewFileSynced,
} from './lib/durable-files';
export type { SyncTreeOptions } from './lib/durable-files';

export {
  makeDirectoryDurably,
  nonce,
  syncDirectory,
  syncTree,
  writeFileAtomically,
  writeFileDurably,
  writeNewFileSynced,
} from './lib/durable-files';

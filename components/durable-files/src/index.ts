export { makeDirectoryDurably, nonce, syncDirectory, syncTree, writeFileDurably, writeNewFileSynced } from './lib/durable-files';

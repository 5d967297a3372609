export { recordSyncs } from './testing/sync-recorder';
export type { SyncRecorder } from './testing/sync-recorder';

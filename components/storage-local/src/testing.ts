export { auditDataDir } from './testing/crash-audit';
export type { CrashAudit } from './testing/crash-audit';
export { runCrashLoop } from './testing/crash-loop';
export type { CrashLeftovers, CrashLoopOptions, CrashLoopResult } from './testing/crash-loop';
export { CRASH_OWNER, formatCrashWriterLine, parseCrashWriterLine, runCrashWriter } from './testing/crash-writes';
export type { AcknowledgedWrite, CrashWriterLine, FailedWrite } from './testing/crash-writes';

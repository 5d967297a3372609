import fsPromises, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** The syncs and renames seen since {@link recordSyncs}, in order; `stop()` ends the recording. */
export interface SyncRecorder {
  readonly events: string[];
  stop(): void;
}

/**
 * Records, in order, every fsync (`sync <path>`, of a file or a directory) and rename (`rename <from> -> <to>`) the code
 * under test makes, calling through to the real file system: a sync the code forgets is missing from the list. The calls
 * are observed on the real `node:fs/promises` module and FileHandle, which is all the code uses; paths are relative to `root`.
 * Uses Jest's `spyOn`: for specs.
 */
export async function recordSyncs(root: string): Promise<SyncRecorder> {
  const events: string[] = [];
  const relative = (file: string) => path.relative(root, file) || '.';
  const paths = new Map<number, string>();
  const probe = await fsPromises.open(root, 'r');
  const handlePrototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const realOpen = fsPromises.open;
  const realRename = fsPromises.rename;
  const open = jest.spyOn(fsPromises, 'open').mockImplementation(async (...args: Parameters<typeof realOpen>) => {
    const handle = await realOpen(...args);
    paths.set(handle.fd, relative(String(args[0])));
    return handle;
  });
  const rename = jest.spyOn(fsPromises, 'rename').mockImplementation(async (from, to) => {
    await realRename(from, to);
    events.push(`rename ${relative(String(from))} -> ${relative(String(to))}`);
  });
  const spies = (['sync', 'datasync'] as const).map((method) => {
    const real = handlePrototype[method];
    return jest.spyOn(handlePrototype, method).mockImplementation(async function (this: FileHandle) {
      await real.call(this);
      events.push(`sync ${paths.get(this.fd) ?? `fd ${this.fd}`}`);
    });
  });
  return {
    events,
    stop: () => [open, rename, ...spies].forEach((spy) => spy.mockRestore()),
  };
}

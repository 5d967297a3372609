import { InMemoryCatalogStore } from '@metastore/catalog/testing';
import { StorageUnavailableError, ValidationError } from '@metastore/errors';
import { CatalogCircuit, catalogThroughCircuit } from './catalog-circuit';

/** A catalog that counts the calls reaching it. */
function countingCatalog() {
  const store = new InMemoryCatalogStore();
  let calls = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (...args: unknown[]) => ((calls += 1), value.apply(target, args)) : value;
    },
  });
  return { store, catalog: counted, calls: () => calls };
}

describe('CatalogCircuit', () => {
  it('opens after five calls in a row fail with STORAGE_UNAVAILABLE: further calls fail at once without reaching the database', async () => {
    const { store, catalog, calls } = countingCatalog();
    const circuit = new CatalogCircuit({ initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    const guarded = catalogThroughCircuit(catalog, circuit);
    store.down = true;
    for (let i = 0; i < 5; i++) await expect(guarded.checkReady()).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(circuit.status()).toBe('open');
    for (let i = 0; i < 100; i++)
      await expect(guarded.getDataset({ owner: 'acme', name: 'rain' })).rejects.toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        message: expect.stringMatching(/circuit open/),
      });
    expect(calls()).toBe(5);
  });

  it('lets one call probe after the pause while the others fail at once, and closes when it succeeds, telling whoever listens', async () => {
    const { store, catalog, calls } = countingCatalog();
    const circuit = new CatalogCircuit({ initialBackoffMs: 20, maxBackoffMs: 20 });
    let answered = 0;
    circuit.onAnswered(() => (answered += 1));
    const guarded = catalogThroughCircuit(catalog, circuit);
    store.down = true;
    for (let i = 0; i < 5; i++) await expect(guarded.checkReady()).rejects.toThrow();
    store.down = false;
    // Until the pause is over, calls fail at once; then the first call through is the probe.
    while (circuit.status() === 'open') {
      const before = calls();
      const outcome = await guarded.checkReady().then(
        () => 'answered',
        () => 'skipped',
      );
      if (outcome === 'skipped') expect(calls()).toBe(before);
      else break;
    }
    expect(circuit.status()).toBe('closed');
    expect(answered).toBe(1);
    await guarded.getDataset({ owner: 'acme', name: 'rain' });
    expect(answered).toBe(2);
  });

  it('fails calls at once while another probes: only the probe waits for the database', async () => {
    const { store, catalog } = countingCatalog();
    const circuit = new CatalogCircuit({ initialBackoffMs: 20, maxBackoffMs: 20 });
    const guarded = catalogThroughCircuit(catalog, circuit);
    store.down = true;
    for (let i = 0; i < 5; i++) await expect(guarded.checkReady()).rejects.toThrow();
    store.down = false;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const probing = jest.spyOn(store, 'checkReady').mockImplementation(() => slow);
    let probe: Promise<void> | undefined;
    while (!probe) {
      const attempt = guarded.checkReady();
      if (circuit.status() === 'half-open') probe = attempt;
      else await attempt.catch(() => undefined);
    }
    await expect(guarded.getDataset({ owner: 'acme', name: 'rain' })).rejects.toMatchObject({ message: expect.stringMatching(/probed/) });
    release();
    await probe;
    probing.mockRestore();
    expect(circuit.status()).toBe('closed');
  });

  it('counts only STORAGE_UNAVAILABLE: a caller’s mistake (a malformed cursor) never opens it', async () => {
    const { catalog } = countingCatalog();
    const circuit = new CatalogCircuit();
    const guarded = catalogThroughCircuit(catalog, circuit);
    for (let i = 0; i < 10; i++)
      await expect(guarded.search({ limit: 10, cursor: 'not a cursor' })).rejects.toBeInstanceOf(ValidationError);
    expect(circuit.status()).toBe('closed');
  });
});

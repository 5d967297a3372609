import { InMemoryDatasetStorage } from '@metastore/storage/testing';
import { DatasetService } from './dataset.service';
import { DescriptorValidator } from './descriptor.validator';
import { DESCRIPTOR_PATH } from './lfs-pointers';
import { mergedNumberForms, numberFormsOf, numberFormsUnder, serializeWithForms } from './number-forms';

const author = { name: 'Ada Lovelace', email: 'ada@example.com' };
const id = { owner: 'acme', name: 'numbers' };
const SUBMITTED = `{
  "profile": "data-package",
  "name": "numbers",
  "version": 1.0,
  "x": 200.0,
  "big": 12345678901234567890,
  "plain": 3,
  "resources": [{ "name": "a", "path": "a.csv", "bytes": 1e3, "schema": { "fields": [{ "name": "v", "constraints": { "minimum": -0.50 } }] } }]
}`;

describe('numberFormsOf and serializeWithForms', () => {
  it('records only the numbers JavaScript would write otherwise, by pointer', () => {
    expect(Object.fromEntries(numberFormsOf(SUBMITTED))).toEqual({
      '/version': '1.0',
      '/x': '200.0',
      '/big': '12345678901234567890',
      '/resources/0/bytes': '1e3',
      '/resources/0/schema/fields/0/constraints/minimum': '-0.50',
    });
  });

  it('finds forms after [, : and , and at the top level, and none where only a string looks like one', () => {
    expect(Object.fromEntries(numberFormsOf('[1.0, {"a":[ 2.50 ]}]'))).toEqual({ '/0': '1.0', '/1/a/0': '2.50' });
    expect(Object.fromEntries(numberFormsOf(' 1e2 '))).toEqual({ '': '1e2' });
    expect(numberFormsOf('{"note": "x, 1.0 [2.0", "b": 2, "c": [1.5, -3]}').size).toBe(0);
    expect(numberFormsOf('{"a": 1, "a": 2.0}').size).toBe(0); // duplicate member names: no forms, numbers as values
  });

  it('writes JSON.stringify output with the recorded forms where the value is unchanged', () => {
    const value = JSON.parse(SUBMITTED) as Record<string, unknown>;
    const text = serializeWithForms(value, numberFormsOf(SUBMITTED));
    expect(text).toContain('"version": 1.0,');
    expect(text).toContain('"x": 200.0,');
    expect(text).toContain('"big": 12345678901234567890,');
    expect(text).toContain('"minimum": -0.50');
    expect(JSON.parse(text)).toEqual(value);
    // A changed value is written as a value; without forms the output is JSON.stringify's.
    expect(serializeWithForms({ ...value, x: 201 }, numberFormsOf(SUBMITTED))).toContain('"x": 201,');
    expect(serializeWithForms(value, new Map())).toBe(JSON.stringify(value, null, 2));
  });

  it('keeps members named __proto__ and strings that look like placeholders', () => {
    const text = '{"__proto__": {"a": 1.0}, "s": "\\\\u00000"}';
    expect(serializeWithForms(JSON.parse(text), numberFormsOf(text), 0)).toBe('{"__proto__":{"a":1.0},"s":"\\\\u00000"}');
  });

  it('takes the forms under a prefix, and merges a patch over a target', () => {
    const body = numberFormsOf('{"owner": "acme", "descriptor": {"version": 1.0}}');
    expect(Object.fromEntries(numberFormsUnder(body, '/descriptor'))).toEqual({ '/version': '1.0' });
    const target = numberFormsOf('{"a": 1.0, "b": {"c": 2.0, "d": 3.0}, "e": [4.0]}');
    const patch = { b: { d: 5 }, e: [6] };
    expect(Object.fromEntries(mergedNumberForms(target, patch, numberFormsOf('{"b": {"d": 5}, "e": [6.0]}')))).toEqual({
      '/a': '1.0',
      '/b/c': '2.0',
      '/e/0': '6.0',
    });
  });
});

describe('DatasetService keeps numbers as written', () => {
  const setup = () => {
    const storage = new InMemoryDatasetStorage();
    return { storage, service: new DatasetService({ storage, validator: new DescriptorValidator() }) };
  };
  const stored = async (storage: InMemoryDatasetStorage) => {
    const head = await storage.resolveRef(id);
    return (await storage.readFile(id, head, DESCRIPTOR_PATH))!;
  };

  it('creates with {"version": 1.0, "x": 200.0, "big": 12345678901234567890} and reads the same numbers back', async () => {
    const { storage, service } = setup();
    await service.create(id, JSON.parse(SUBMITTED), { author, numberForms: numberFormsOf(SUBMITTED) });
    const source = (await service.read(id)).source;
    expect(source).toContain('"version": 1.0,');
    expect(source).toContain('"x": 200.0,');
    expect(source).toContain('"big": 12345678901234567890,');
    expect(source).toContain('"bytes": 1e3,');
    expect(source).toBe(await stored(storage));
  });

  it('keeps the untouched numbers when a sibling is patched, and the patch its own', async () => {
    const { storage, service } = setup();
    await service.create(id, JSON.parse(SUBMITTED), { author, numberForms: numberFormsOf(SUBMITTED) });
    const patchText = '{"title": "Numbers", "plain": 4.0}';
    const result = await service.patch(id, JSON.parse(patchText), { author, numberForms: numberFormsOf(patchText) });
    expect(result.changed).toBe(true);
    const source = await stored(storage);
    expect(source).toContain('"version": 1.0,');
    expect(source).toContain('"x": 200.0,');
    expect(source).toContain('"big": 12345678901234567890,');
    expect(source).toContain('"plain": 4.0,');
    expect(source).toContain('"title": "Numbers"');
    // A patch without forms (a client that sent 200) overrides the member it names, and only that one.
    await service.patch(id, { x: 200 }, { author });
    expect(await stored(storage)).toContain('"x": 200,');
    expect(await stored(storage)).toContain('"version": 1.0,');
  });

  it('makes no revision for the same content written the same way, and one when only a form changes', async () => {
    const { storage, service } = setup();
    await service.create(id, JSON.parse(SUBMITTED), { author, numberForms: numberFormsOf(SUBMITTED) });
    const again = await service.replace(id, JSON.parse(SUBMITTED), { author, numberForms: numberFormsOf(SUBMITTED) });
    expect(again.changed).toBe(false);
    const canonical = await service.replace(id, JSON.parse(SUBMITTED), { author });
    expect(canonical.changed).toBe(true);
    expect(await stored(storage)).toContain('"version": 1,');
  });
});

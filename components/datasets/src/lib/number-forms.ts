import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { escapePointerToken } from '@metastore/errors';
import { isJsonObject } from './descriptor.model';

/**
 * How numbers were written where JavaScript would write them otherwise (`1.0`, `200.0`, `1e3`, `12345678901234567890`),
 * by JSON pointer. JSON.parse keeps only the value: `1.0` comes back as `1`, which Python and R read as an integer.
 * A descriptor's parsed value is what validation, merge patch, diffs, the catalog and events see; its forms are put
 * back only when it is written out (`serializeWithForms`), and only where the value there is still the same number.
 */
export type NumberForms = ReadonlyMap<string, string>;

/** No number needs its written form. */
export const NO_NUMBER_FORMS: NumberForms = new Map();

/**
 * The forms of the numbers in a JSON text that JavaScript would not write back as they are; none when the text is not
 * JSON the lossless parser reads (duplicate member names, which JSON.parse accepts): such numbers are written as values.
 */
export function numberFormsOf(text: string): NumberForms {
  // Most descriptors write every number as JavaScript would: a scan of the number-like tokens finds that at a fraction of
  // a lossless parse's cost (about 260 ms for 1 MB here). A JSON number always follows '[', ':' or ',' (or starts the
  // text), so the scan misses none; a match inside a string only costs the full parse.
  if (!mayHaveForms(text)) return NO_NUMBER_FORMS;
  let parsed: unknown;
  try {
    parsed = parseLossless(text);
  } catch {
    return NO_NUMBER_FORMS;
  }
  const forms = new Map<string, string>();
  const pending: { value: unknown; pointer: string }[] = [{ value: parsed, pointer: '' }];
  while (pending.length > 0) {
    const { value, pointer } = pending.pop()!;
    if (isLosslessNumber(value)) {
      if (JSON.stringify(Number(value.value)) !== value.value) forms.set(pointer, value.value);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => pending.push({ value: item, pointer: `${pointer}/${index}` }));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) pending.push({ value: item, pointer: `${pointer}/${escapePointerToken(key)}` });
    }
  }
  return forms;
}

const NUMBER_TOKEN = /(?:^|[[:,])\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/** Whether some number-like token in `text` is written otherwise than JavaScript writes its value. */
function mayHaveForms(text: string): boolean {
  for (const match of text.matchAll(NUMBER_TOKEN)) if (JSON.stringify(Number(match[1])) !== match[1]) return true;
  return false;
}

/** The forms under `prefix` (e.g. `/descriptor` of a create request's body), with pointers relative to it. */
export function numberFormsUnder(forms: NumberForms, prefix: string): NumberForms {
  const under = new Map<string, string>();
  for (const [pointer, text] of forms) if (pointer.startsWith(`${prefix}/`)) under.set(pointer.slice(prefix.length), text);
  return under;
}

/**
 * The forms of the result of a JSON Merge Patch (RFC 7396): the patch's own numbers as the patch wrote them, and the
 * target's where the patch left them alone (a member the patch replaced or removed, at or above it, takes the patch's).
 */
export function mergedNumberForms(target: NumberForms, patch: unknown, patchForms: NumberForms): NumberForms {
  const merged = new Map<string, string>();
  for (const [pointer, text] of target) if (untouchedBy(patch, pointer)) merged.set(pointer, text);
  for (const [pointer, text] of patchForms) merged.set(pointer, text);
  return merged;
}

/** Whether a merge patch leaves the member at `pointer` as it was: the patch only recurses (objects) along its path. */
function untouchedBy(patch: unknown, pointer: string): boolean {
  let value = patch;
  for (const token of pointer.split('/').slice(1)) {
    if (!isJsonObject(value)) return false;
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!(key in value)) return true;
    value = value[key];
  }
  return false;
}

/**
 * `JSON.stringify(value, null, indent)`, except that a number whose form is recorded at its pointer, and still has
 * that value, is written in that form. Everything else is exactly JSON.stringify's output.
 */
export function serializeWithForms(value: unknown, forms: NumberForms, indent = 2): string {
  if (forms.size === 0) return JSON.stringify(value, null, indent);
  // Numbers with a form become placeholder strings, found again in the output: U+0000 never reaches a stored
  // descriptor (the validator refuses it), so no real string serializes to a placeholder.
  const texts: string[] = [];
  const marked = mark(value, '', forms, texts);
  return JSON.stringify(marked, null, indent).replace(/"\\u0000(\d+)"/g, (_whole, index: string) => texts[Number(index)]!);
}

function mark(value: unknown, pointer: string, forms: NumberForms, texts: string[]): unknown {
  if (typeof value === 'number') {
    const text = forms.get(pointer);
    if (text === undefined || Number(text) !== value) return value;
    texts.push(text);
    return `\u0000${texts.length - 1}`;
  }
  if (Array.isArray(value)) return value.map((item, index) => mark(item, `${pointer}/${index}`, forms, texts));
  if (isJsonObject(value)) {
    // No prototype: a member named __proto__ stays a member.
    const copy = Object.create(null) as Record<string, unknown>;
    for (const [key, item] of Object.entries(value)) copy[key] = mark(item, `${pointer}/${escapePointerToken(key)}`, forms, texts);
    return copy;
  }
  return value;
}

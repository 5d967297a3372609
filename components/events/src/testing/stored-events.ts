import { randomUUID } from 'node:crypto';
import type { DescriptorObject, EventType, MetastoreEvent, StoredEvent } from '../lib/event.model';

/** Settings of {@link storedEventForTests}. */
export interface TestEventOptions {
  readonly type?: EventType;
  /** `owner/name` (default `acme/weather`). */
  readonly subject?: string;
  readonly descriptor?: DescriptorObject;
  readonly newRevision?: string;
  readonly id?: string;
  /** For tag events: the tag after the change. */
  readonly tag?: { readonly name: string; readonly target: string };
}

/** A stored event at `sequence` with a small descriptor, for stream and consumer tests. */
export function storedEventForTests(sequence: number | string, options: TestEventOptions = {}): StoredEvent {
  const subject = options.subject ?? 'acme/weather';
  const [owner = 'acme', name = 'weather'] = subject.split('/');
  const type = options.type ?? 'dataset.updated';
  const deleted = type === 'dataset.deleted';
  const newRevision = deleted ? null : (options.newRevision ?? `${String(sequence).padStart(8, '0')}${'a'.repeat(32)}`);
  const event: MetastoreEvent = {
    specversion: '1.0',
    id: options.id ?? randomUUID(),
    source: 'urn:metastore:test',
    type,
    subject,
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      dataset: { id: subject, owner, name, backend: 'local', location: `/data/${subject}.git` },
      origin: 'api',
      oldRevision: null,
      newRevision,
      author: { name: 'Ada', email: 'ada@example.org' },
      ...(deleted || type.startsWith('tag.') ? {} : { descriptor: options.descriptor ?? { name, title: `Dataset ${subject}` } }),
      ...(options.tag
        ? {
            tag: {
              ...options.tag,
              description: '',
              author: { name: 'Ada', email: 'ada@example.org' },
              createdAt: '2026-01-01T00:00:00.000Z',
            },
          }
        : {}),
    },
  };
  return { sequence: String(sequence), event };
}

export { InMemoryOutbox } from './testing/in-memory.outbox';
export { storedEventForTests } from './testing/stored-events';
export type { TestEventOptions } from './testing/stored-events';
export { describeOutboxContract, MALFORMED_CURSORS } from './testing/outbox.contract';
export type { OutboxUnderTest } from './testing/outbox.contract';

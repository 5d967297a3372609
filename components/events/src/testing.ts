export { InMemoryOutbox } from './testing/in-memory.outbox';

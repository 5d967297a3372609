import { InMemoryOutbox } from './in-memory.outbox';
import { describeOutboxContract } from './outbox.contract';

describeOutboxContract('in memory', async () => {
  const outbox = new InMemoryOutbox();
  return { outbox, append: async (events) => outbox.append(...events) };
});

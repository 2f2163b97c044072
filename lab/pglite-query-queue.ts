/**
 * A replacement for pglite-socket's query queue that keeps each client's extended-protocol exchange together.
 *
 * PGlite is one backend; pglite-socket multiplexes client connections onto it message by message. node-postgres
 * sends a parameterised query as Parse, Bind, Describe, Execute, Sync; interleaving another client's messages in
 * between breaks it ("portal does not exist"). This queue gives the backend to one client from its first
 * extended-protocol message until its Sync (or simple Query) has run, and for the whole of an open transaction.
 */
import type { PGlite } from '@electric-sql/pglite';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: Error) => void;
}

/** Extended-protocol messages after which the same client must go on: Parse, Bind, Describe, Execute, Close, Flush. */
const STICKY_TYPES = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((letter) => letter.charCodeAt(0)));

export class ExchangeQueryQueue {
  private queue: QueuedMessage[] = [];
  private processing = false;
  /** The client that holds the backend (mid-exchange or in a transaction), if any. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.processQueue();
    });
  }

  private async processQueue(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const index = this.owner === null ? 0 : this.queue.findIndex((queued) => queued.handlerId === this.owner);
        // The owner's next message is not here yet: everyone else waits for it.
        if (index === -1) break;
        const [queued] = this.queue.splice(index, 1);
        if (!queued) break;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(queued.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                queued.onData(data);
              },
            }),
          );
        } catch (error) {
          queued.reject(error instanceof Error ? error : new Error(String(error)));
          continue;
        }
        const type = queued.message[0] ?? 0;
        this.owner = STICKY_TYPES.has(type) || this.db.isInTransaction() ? queued.handlerId : null;
        queued.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((queued) => {
      if (queued.handlerId !== handlerId) return true;
      queued.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** A client went away: roll back what it left open and let the others proceed. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    this.owner = null;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
    await this.processQueue();
  }
}

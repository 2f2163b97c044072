/**
 * notifications: sends order confirmations. POST /notify is the synchronous path (the `async-notify` problem);
 * the worker drains the notification_queue table with SELECT … FOR UPDATE SKIP LOCKED (the fix's path).
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { HttpError } from '../http-kit.js';
import { sleep, type LabService, type ServiceContext } from '../service-context.js';
import type { DbSession } from '../lab-db.js';

/** Time the (simulated) e-mail provider takes to accept one message. */
export const SEND_DURATION_MS = 40;
const POLL_INTERVAL_MS = 100;
const BATCH_SIZE = 20;

export function createNotificationsService(context: ServiceContext): LabService {
  const { db, stats } = context;
  const tracer = trace.getTracer('perfloop-lab');
  let stopped = false;

  async function send(session: DbSession, orderId: number, channel: string): Promise<void> {
    await sleep(SEND_DURATION_MS);
    await session.query('INSERT INTO notification_log (order_id, channel) VALUES ($1, $2)', [orderId, channel]);
    stats.notificationsSent += 1;
  }

  /** Claims and sends one batch; returns how many were sent. */
  async function drainOnce(): Promise<number> {
    return db.transaction(async (session) => {
      const jobs = await session.query<{ id: string; order_id: string }>(
        `SELECT id, order_id FROM notification_queue WHERE processed_at IS NULL
         ORDER BY id LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED`,
      );
      if (jobs.length === 0) return 0;
      await tracer.startActiveSpan('notification_queue process', { kind: SpanKind.CONSUMER }, async (span) => {
        span.setAttribute('messaging.system', 'postgresql');
        span.setAttribute('messaging.destination.name', 'notification_queue');
        span.setAttribute('messaging.batch.message_count', jobs.length);
        for (const job of jobs) await send(session, Number(job.order_id), 'queue');
        await session.query('UPDATE notification_queue SET processed_at = now() WHERE id = ANY($1::bigint[])', [jobs.map((job) => job.id)]);
        span.end();
      });
      return jobs.length;
    });
  }

  const worker = (async () => {
    while (!stopped) {
      const sent = await drainOnce().catch(() => 0);
      if (sent === 0) await sleep(POLL_INTERVAL_MS);
    }
  })();

  return {
    async route(request) {
      if (request.method !== 'POST' || request.parts[0] !== 'notify') return undefined;
      const orderId = (request.body as { orderId?: unknown } | undefined)?.orderId;
      if (typeof orderId !== 'number' || !Number.isSafeInteger(orderId)) throw new HttpError(400, 'orderId must be an integer');
      await db.withSession((session) => send(session, orderId, 'sync'));
      return { status: 202, body: { sent: true } };
    },
    async close() {
      stopped = true;
      await worker;
    },
  };
}

/**
 * notifications: sends order confirmations. POST /notify is the synchronous path (the `async-notify` problem);
 * the worker claims notification_queue rows (UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)) and sends them
 * outside any transaction (the fix's path).
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

  /**
   * Claims one batch and sends it; returns how many were sent. The claim is one short statement (marking the rows
   * processed, SKIP LOCKED so workers never wait on each other); the sends run outside any transaction. Sending
   * inside the claiming transaction held it open 40 ms per message — on the embedded PGlite, whose one backend
   * belongs to an open transaction, that froze every service's queries, so the fix made the whole lab slower.
   * A message whose send fails after its claim is lost (at most once); a real outbox would keep a claimed state
   * and retry — the lab's sends do not fail.
   */
  async function drainOnce(): Promise<number> {
    const jobs = await db.withSession((session) =>
      session.query<{ id: string; order_id: string }>(
        `UPDATE notification_queue SET processed_at = now() WHERE id IN (
           SELECT id FROM notification_queue WHERE processed_at IS NULL ORDER BY id LIMIT ${BATCH_SIZE} FOR UPDATE SKIP LOCKED)
         RETURNING id, order_id`,
      ),
    );
    if (jobs.length === 0) return 0;
    await tracer.startActiveSpan('notification_queue process', { kind: SpanKind.CONSUMER }, async (span) => {
      span.setAttribute('messaging.system', 'postgresql');
      span.setAttribute('messaging.destination.name', 'notification_queue');
      span.setAttribute('messaging.batch.message_count', jobs.length);
      await db.withSession(async (session) => {
        for (const job of jobs) await send(session, Number(job.order_id), 'queue');
      });
      span.end();
    });
    return jobs.length;
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

/**
 * orders: order reads, the customer's order list, and order creation. Switches here: `n+1` (a query per
 * order line), `index` (DDL: order_lines(order_id), orders(customer_id)), `payload` (list pagination and
 * field selection) and `async-notify` (queue instead of a synchronous call to notifications).
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { HttpError, callJson } from '../http-kit.js';
import { EXPLAINED_QUERIES, INDEX_SQL } from '../lab-schema.js';
import { positiveId, type LabService, type ServiceContext } from '../service-context.js';
import type { DbSession } from '../lab-db.js';

interface OrderRow {
  id: string;
  customer_id: string;
  status: string;
  total_cents: number;
  created_at: Date;
}

interface LineRow {
  id: string;
  order_id: string;
  product_id: string;
  quantity: number;
  price_cents: number;
  name: string;
  description?: string;
}

export interface OrderLine {
  id: number;
  productId: number;
  productName: string;
  quantity: number;
  priceCents: number;
  productDescription?: string;
}

export interface Order {
  id: number;
  customerId: number;
  status: string;
  totalCents: number;
  createdAt: string;
  lines: OrderLine[];
}

/** Page size of GET /orders?customer= with the `payload` fix (and the cap on ?limit=). */
export const ORDER_PAGE_DEFAULT = 10;
const ORDER_PAGE_MAX = 100;

function toLine(row: LineRow): OrderLine {
  const line: OrderLine = {
    id: Number(row.id),
    productId: Number(row.product_id),
    productName: row.name,
    quantity: row.quantity,
    priceCents: row.price_cents,
  };
  if (row.description !== undefined) line.productDescription = row.description;
  return line;
}

function toOrder(row: OrderRow, lines: OrderLine[]): Order {
  return {
    id: Number(row.id),
    customerId: Number(row.customer_id),
    status: row.status,
    totalCents: row.total_cents,
    createdAt: new Date(row.created_at).toISOString(),
    lines,
  };
}

interface NewOrder {
  customerId: number;
  items: { productId: number; quantity: number }[];
}

function parseNewOrder(body: unknown): NewOrder {
  const candidate = body as Partial<NewOrder> | undefined;
  const customerId = candidate?.customerId;
  const items = candidate?.items;
  if (typeof customerId !== 'number' || !Number.isSafeInteger(customerId) || customerId <= 0) {
    throw new HttpError(400, 'customerId must be a positive integer');
  }
  if (!Array.isArray(items) || items.length === 0 || items.length > 50) throw new HttpError(400, 'items must hold 1..50 entries');
  for (const item of items) {
    if (!Number.isSafeInteger(item?.productId) || item.productId <= 0 || !Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
      throw new HttpError(400, 'each item needs a positive integer productId and quantity');
    }
  }
  return { customerId, items };
}

const QUEUE_ATTRIBUTES = {
  'messaging.system': 'postgresql',
  'messaging.destination.name': 'notification_queue',
  'messaging.operation.type': 'publish',
};

export function createOrdersService(context: ServiceContext): LabService {
  const { db, fixes, stats } = context;
  const tracer = trace.getTracer('perfloop-lab');

  async function linesOf(session: DbSession, orderId: number): Promise<OrderLine[]> {
    if (fixes.has('n+1')) {
      const rows = await session.query<LineRow>(
        `SELECT l.id, l.order_id, l.product_id, l.quantity, l.price_cents, p.name
         FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1 ORDER BY l.id`,
        [orderId],
      );
      return rows.map(toLine);
    }
    // The N+1 shape: ids first, then one query per line (and its product).
    const ids = await session.query<{ id: string }>('SELECT id FROM order_lines WHERE order_id = $1 ORDER BY id', [orderId]);
    const lines: OrderLine[] = [];
    for (const { id } of ids) {
      const [row] = await session.query<LineRow>(
        `SELECT l.id, l.order_id, l.product_id, l.quantity, l.price_cents, p.name
         FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.id = $1`,
        [id],
      );
      if (row) lines.push(toLine(row));
    }
    return lines;
  }

  async function getOrder(id: number): Promise<Order> {
    return db.withSession(async (session) => {
      const [row] = await session.query<OrderRow>('SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE id = $1', [id]);
      if (!row) throw new HttpError(404, `order ${id} not found`);
      return toOrder(row, await linesOf(session, id));
    });
  }

  async function listOrders(customerId: number, params: URLSearchParams): Promise<unknown> {
    return db.withSession(async (session) => {
      if (!fixes.has('payload')) {
        // Everything: every order, every line, every product description.
        const orders = await session.query<OrderRow>(
          'SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE customer_id = $1 ORDER BY id',
          [customerId],
        );
        const lines = await session.query<LineRow>(
          `SELECT l.id, l.order_id, l.product_id, l.quantity, l.price_cents, p.name, p.description
           FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ANY($1::bigint[]) ORDER BY l.id`,
          [orders.map((order) => order.id)],
        );
        return { orders: orders.map((order) => toOrder(order, lines.filter((line) => line.order_id === order.id).map(toLine))) };
      }
      const limit = Math.min(positiveId(params.get('limit')) ?? ORDER_PAGE_DEFAULT, ORDER_PAGE_MAX);
      const after = positiveId(params.get('cursor')) ?? 0;
      // Field selection: order summaries only (the full lines are one GET /orders/:id away).
      const orders = await session.query<OrderRow>(
        `SELECT id, customer_id, status, total_cents, created_at FROM orders
         WHERE customer_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
        [customerId, after, limit + 1],
      );
      const page = orders.slice(0, limit);
      const last = page.at(-1);
      return {
        orders: page.map((order) => ({
          id: Number(order.id),
          status: order.status,
          totalCents: order.total_cents,
          createdAt: new Date(order.created_at).toISOString(),
        })),
        nextCursor: orders.length > limit && last ? Number(last.id) : null,
      };
    });
  }

  async function createOrder(order: NewOrder): Promise<{ id: number; totalCents: number }> {
    const created = await db.transaction(async (session) => {
      const productIds = order.items.map((item) => item.productId);
      const prices = await session.query<{ id: string; price_cents: number }>(
        'SELECT id, price_cents FROM products WHERE id = ANY($1::bigint[])',
        [productIds],
      );
      const priceOf = new Map(prices.map((row) => [Number(row.id), row.price_cents]));
      const missing = productIds.find((id) => !priceOf.has(id));
      if (missing !== undefined) throw new HttpError(400, `product ${missing} does not exist`);
      const totalCents = order.items.reduce((sum, item) => sum + item.quantity * (priceOf.get(item.productId) ?? 0), 0);
      const [row] = await session.query<{ id: string }>(
        "INSERT INTO orders (customer_id, status, total_cents, created_at) VALUES ($1, 'placed', $2, now()) RETURNING id",
        [order.customerId, totalCents],
      );
      const id = Number(row?.id);
      await session.query(
        `INSERT INTO order_lines (order_id, product_id, quantity, price_cents)
         SELECT $1, item.product_id, item.quantity, p.price_cents
         FROM unnest($2::bigint[], $3::int[]) AS item(product_id, quantity) JOIN products p ON p.id = item.product_id`,
        [id, productIds, order.items.map((item) => item.quantity)],
      );
      // With the fix, the notification is a row committed atomically with the order; the worker sends it.
      if (fixes.has('async-notify')) {
        // A producer span marks the hand-off to the queue, as a message broker's client would.
        await tracer.startActiveSpan('notification_queue publish', { kind: SpanKind.PRODUCER, attributes: QUEUE_ATTRIBUTES }, async (span) => {
          try {
            await session.query('INSERT INTO notification_queue (order_id) VALUES ($1)', [id]);
          } finally {
            span.end();
          }
        });
      }
      return { id, totalCents };
    });
    await callJson(context.peer('customers'), `/customers/${order.customerId}/order-placed`, 'POST', {});
    await callJson(context.peer('inventory'), '/stock/reserve', 'POST', { items: order.items });
    if (!fixes.has('async-notify')) {
      await callJson(context.peer('notifications'), '/notify', 'POST', { orderId: created.id });
      stats.notificationsSent += 1;
    }
    return created;
  }

  async function syncIndexes(): Promise<void> {
    const statements = fixes.has('index') ? INDEX_SQL.create : INDEX_SQL.drop;
    await db.withSession(async (session) => {
      for (const sql of statements) await session.query(sql);
      await session.query('ANALYZE orders');
      await session.query('ANALYZE order_lines');
    });
  }

  return {
    async route(request) {
      const [resource, idText] = request.parts;
      if (resource !== 'orders') return undefined;
      if (request.method === 'GET' && idText !== undefined) {
        const id = positiveId(idText);
        if (id === undefined) throw new HttpError(400, 'order id must be a positive integer');
        return { status: 200, body: await getOrder(id) };
      }
      if (request.method === 'GET') {
        const customerId = positiveId(request.url.searchParams.get('customer'));
        if (customerId === undefined) throw new HttpError(400, 'customer must be a positive integer');
        return { status: 200, body: await listOrders(customerId, request.url.searchParams) };
      }
      if (request.method === 'POST' && idText === undefined) return { status: 201, body: await createOrder(parseNewOrder(request.body)) };
      return undefined;
    },
    async onFixesChanged(previous) {
      if (previous.has('index') !== fixes.has('index')) await syncIndexes();
    },
    async adminRoute(request) {
      if (request.method === 'GET' && request.parts[1] === 'explain') {
        const plans = await db.withSession(async (session) => {
          const result: { name: string; plan: string[] }[] = [];
          for (const query of EXPLAINED_QUERIES) {
            const rows = await session.query<{ 'QUERY PLAN': string }>(query.sql);
            result.push({ name: query.name, plan: rows.map((row) => row['QUERY PLAN']) });
          }
          return result;
        });
        return { status: 200, body: { indexFix: fixes.has('index'), plans } };
      }
      if (request.method === 'POST' && request.parts[1] === 'sync-indexes') {
        await syncIndexes();
        return { status: 200, body: { ok: true } };
      }
      return undefined;
    },
  };
}

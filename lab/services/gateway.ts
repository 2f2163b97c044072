/**
 * gateway: the public API. GET /orders/:id composes orders, customers and inventory; the `parallel` switch
 * decides whether the two independent calls (customer, stock) run one after another or together, and the
 * `cache` switch puts a cache-aside read in front of each (hot order views then never leave the gateway).
 */
import { HttpError, callJson } from '../http-kit.js';
import { positiveId, type LabService, type ServiceContext } from '../service-context.js';
import type { Customer } from './customers.js';
import type { ProductStock } from './inventory.js';
import type { Order } from './orders.js';

export interface OrderView {
  order: Order;
  customer: Customer;
  stock: ProductStock[];
}

/** Orders never change once placed; customers and stock do, and writes through the gateway invalidate them. */
const ORDER_TTL_MS = 60_000;
const CUSTOMER_TTL_MS = 30_000;
const STOCK_TTL_MS = 2_000;

export function createGatewayService(context: ServiceContext): LabService {
  const { fixes, stats, cache } = context;

  /** Cache-aside when the `cache` fix is on; a plain call otherwise. */
  async function cached<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    if (!fixes.has('cache')) return load();
    const hit = await cache.get(key);
    if (hit !== undefined) {
      stats.cacheHits += 1;
      return JSON.parse(hit) as T;
    }
    stats.cacheMisses += 1;
    const value = await load();
    await cache.set(key, JSON.stringify(value), ttlMs);
    return value;
  }

  /** Stock per product: cached item by item, loaded from inventory in one call for the misses. */
  async function stockOf(productIds: number[]): Promise<ProductStock[]> {
    const load = async (ids: number[]) =>
      ids.length === 0 ? [] : (await callJson<{ items: ProductStock[] }>(context.peer('inventory'), `/stock?products=${ids.join(',')}`)).items;
    if (!fixes.has('cache')) return load(productIds);
    const found = new Map<number, ProductStock>();
    const missing: number[] = [];
    for (const id of productIds) {
      const hit = await cache.get(`gw:stock:${id}`);
      if (hit === undefined) missing.push(id);
      else found.set(id, JSON.parse(hit) as ProductStock);
    }
    stats.cacheHits += productIds.length - missing.length;
    stats.cacheMisses += missing.length;
    for (const item of await load(missing)) {
      found.set(item.productId, item);
      await cache.set(`gw:stock:${item.productId}`, JSON.stringify(item), STOCK_TTL_MS);
    }
    return productIds.flatMap((id) => found.get(id) ?? []);
  }

  async function orderView(id: number): Promise<OrderView> {
    const order = await cached(`gw:order:${id}`, ORDER_TTL_MS, () => callJson<Order>(context.peer('orders'), `/orders/${id}`));
    const productIds = [...new Set(order.lines.map((line) => line.productId))];
    let inFlight = 0;
    // Counts overlapping calls of this request, so tests can tell sequential from parallel without timing.
    const tracked = async <T>(call: () => Promise<T>): Promise<T> => {
      inFlight += 1;
      stats.peakCallsInFlight = Math.max(stats.peakCallsInFlight, inFlight);
      try {
        return await call();
      } finally {
        inFlight -= 1;
      }
    };
    const customer = () =>
      cached(`gw:customer:${order.customerId}`, CUSTOMER_TTL_MS, () =>
        tracked(() => callJson<Customer>(context.peer('customers'), `/customers/${order.customerId}`)),
      );
    const stock = () => tracked(() => stockOf(productIds));
    if (fixes.has('parallel')) {
      const [customerResult, stockResult] = await Promise.all([customer(), stock()]);
      return { order, customer: customerResult, stock: stockResult };
    }
    const customerResult = await customer();
    const stockResult = await stock();
    return { order, customer: customerResult, stock: stockResult };
  }

  /** Places an order, then drops what it made stale: the customer's order count and the items' stock. */
  async function placeOrder(body: unknown): Promise<unknown> {
    const created = await callJson(context.peer('orders'), '/orders', 'POST', body);
    const order = body as { customerId?: unknown; items?: { productId?: unknown }[] };
    await cache.delete(`gw:customer:${String(order.customerId)}`);
    for (const item of order.items ?? []) await cache.delete(`gw:stock:${String(item.productId)}`);
    return created;
  }

  return {
    async route(request) {
      const [resource, idText] = request.parts;
      if (request.method === 'GET' && resource === 'health') return { status: 200, body: { ok: true, fixes: [...fixes].sort() } };
      if (resource !== 'orders') return undefined;
      if (request.method === 'GET' && idText !== undefined) {
        const id = positiveId(idText);
        if (id === undefined) throw new HttpError(400, 'order id must be a positive integer');
        return { status: 200, body: await orderView(id) };
      }
      if (request.method === 'GET') {
        return { status: 200, body: await callJson(context.peer('orders'), `/orders${request.url.search}`) };
      }
      if (request.method === 'POST' && idText === undefined) {
        return { status: 201, body: await placeOrder(request.body) };
      }
      return undefined;
    },
  };
}

/**
 * gateway: the public API. GET /orders/:id composes orders, customers and inventory; the `parallel` switch
 * decides whether the two independent calls (customer, stock) run one after another or together.
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

export function createGatewayService(context: ServiceContext): LabService {
  const { fixes, stats } = context;

  async function orderView(id: number): Promise<OrderView> {
    const order = await callJson<Order>(context.peer('orders'), `/orders/${id}`);
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
    const customer = () => tracked(() => callJson<Customer>(context.peer('customers'), `/customers/${order.customerId}`));
    const stock = () =>
      tracked(async () =>
        productIds.length === 0
          ? []
          : (await callJson<{ items: ProductStock[] }>(context.peer('inventory'), `/stock?products=${productIds.join(',')}`)).items,
      );
    if (fixes.has('parallel')) {
      const [customerResult, stockResult] = await Promise.all([customer(), stock()]);
      return { order, customer: customerResult, stock: stockResult };
    }
    const customerResult = await customer();
    const stockResult = await stock();
    return { order, customer: customerResult, stock: stockResult };
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
        return { status: 201, body: await callJson(context.peer('orders'), '/orders', 'POST', request.body) };
      }
      return undefined;
    },
  };
}

/**
 * customers: customer profiles. The `cache` switch puts a cache-aside read (TTL, invalidated on write)
 * in front of the two-query profile read that every order view makes.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import { HttpError } from '../http-kit.js';
import { fillInBackground } from '../lab-cache.js';
import { positiveId, sleep, type LabService, type ServiceContext } from '../service-context.js';

interface CustomerRow {
  id: string;
  name: string;
  email: string;
  tier: string;
  order_count: number;
}

export interface Customer {
  id: number;
  name: string;
  email: string;
  tier: string;
  discountPct: number;
  orderCount: number;
}

const CUSTOMER_TTL_MS = 30_000;
/** The CRM's answer time for a segment profile. */
const SEGMENT_READ_MS = 8;
/** Bytes of a segment profile (the same for every read of one segment: the data does not change between reads). */
const SEGMENT_PROFILE_BYTES = 2048;
/**
 * Every read also asks for the customer's current entitlements (another service, stood in for by a fixed wait),
 * which must be fresh and so is never cached. Without it a cached customer cost ~0.5 ms, and once the `cache`
 * fix was in, running the customer call beside the stock call (`parallel`) saved under 1 ms: the sequential
 * calls were a problem only until another fix happened to land first (seen as the demo's last, undecided round).
 */
const ENTITLEMENT_CHECK_MS = 5;

export function createCustomersService(context: ServiceContext): LabService {
  const { db, cache, stats, fixes } = context;
  const key = (id: number) => `customer:${id}`;
  const tracer = trace.getTracer('perfloop-lab');

  /**
   * Profile enrichment: the marketing segment of the customer's loyalty tier, read from a CRM (stood in for by a
   * fixed wait) and traced as the HTTP client call it stands for. It gives the customers call the weight it has in
   * real systems, so running it beside the stock call (the `parallel` fix) saves measurable time; and a handful of
   * segments read by every order view is the hot read a cache removes — traced, the repeated-reads detector sees it
   * and predicts it (untraced, the cache fix's prediction was 1.3 ms of a measured 11–14 ms).
   */
  function readSegment(tier: string): Promise<void> {
    const attributes = {
      'http.request.method': 'GET',
      'url.full': `http://crm.internal/segments?tier=${encodeURIComponent(tier)}`,
      'server.address': 'crm.internal',
      'http.response.status_code': 200,
      'http.response.body.size': SEGMENT_PROFILE_BYTES,
    };
    return tracer.startActiveSpan('GET', { kind: SpanKind.CLIENT, attributes }, async (span) => {
      await sleep(SEGMENT_READ_MS);
      span.end();
    });
  }

  async function readCustomer(id: number): Promise<Customer> {
    return db.withSession(async (session) => {
      const [row] = await session.query<CustomerRow>('SELECT id, name, email, tier, order_count FROM customers WHERE id = $1', [id]);
      if (!row) throw new HttpError(404, `customer ${id} not found`);
      const [tier] = await session.query<{ discount_pct: number }>('SELECT discount_pct FROM loyalty_tiers WHERE name = $1', [row.tier]);
      await readSegment(row.tier);
      return { id, name: row.name, email: row.email, tier: row.tier, discountPct: tier?.discount_pct ?? 0, orderCount: row.order_count };
    });
  }

  async function getCustomer(id: number): Promise<Customer> {
    await sleep(ENTITLEMENT_CHECK_MS);
    if (!fixes.has('cache')) return readCustomer(id);
    const cached = await cache.get(key(id));
    if (cached !== undefined) {
      stats.cacheHits += 1;
      return JSON.parse(cached) as Customer;
    }
    stats.cacheMisses += 1;
    const customer = await readCustomer(id);
    // Commands on one Redis connection stay in order, so the next read still sees the fill.
    fillInBackground(() => cache.set(key(id), JSON.stringify(customer), CUSTOMER_TTL_MS));
    return customer;
  }

  return {
    async route(request) {
      const [resource, idText, action] = request.parts;
      if (resource !== 'customers') return undefined;
      const id = positiveId(idText);
      if (id === undefined) throw new HttpError(400, 'customer id must be a positive integer');
      if (request.method === 'GET' && action === undefined) return { status: 200, body: await getCustomer(id) };
      if (request.method === 'POST' && action === 'order-placed') {
        await db.withSession((session) => session.query('UPDATE customers SET order_count = order_count + 1 WHERE id = $1', [id]));
        // Invalidate after the write commits, so the next read repopulates from the new row.
        await cache.delete(key(id));
        return { status: 200, body: { ok: true } };
      }
      return undefined;
    },
  };
}

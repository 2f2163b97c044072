/**
 * inventory: product details and stock per product. Three switches live here: `n+1` (a stock query per
 * product), `cache` (product rows cached), and `lock` (a global mutex around the stock ledger check).
 */
import { GlobalLock } from '../global-lock.js';
import { HttpError } from '../http-kit.js';
import { fillInBackground } from '../lab-cache.js';
import { positiveId, sleep, type LabService, type ServiceContext } from '../service-context.js';
import type { DbSession } from '../lab-db.js';

export interface ProductStock {
  productId: number;
  sku: string;
  name: string;
  priceCents: number;
  warehouse: string;
  quantity: number;
}

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  price_cents: number;
}

interface StockRow {
  product_id: string;
  warehouse: string;
  quantity: number;
}

type Product = Omit<ProductStock, 'warehouse' | 'quantity'>;

const PRODUCT_TTL_MS = 60_000;
/** Time the legacy ledger check of one product holds the critical section; the lock serialises all of them. */
const LEDGER_CHECK_MS = 4;

/** The N+1 shape: one awaited query per id, in a loop. */
async function oneByOne<R>(ids: number[], query: (id: number) => Promise<R[]>): Promise<R[]> {
  const rows: R[] = [];
  for (const id of ids) rows.push(...(await query(id)));
  return rows;
}

export function createInventoryService(context: ServiceContext): LabService {
  const { db, cache, stats, fixes } = context;
  const lock = new GlobalLock('inventory.ledger');
  const key = (id: number) => `product:${id}`;

  async function productsFromDb(session: DbSession, ids: number[]): Promise<Product[]> {
    const rows = await session.query<ProductRow>('SELECT id, sku, name, price_cents FROM products WHERE id = ANY($1::bigint[])', [ids]);
    return rows.map((row) => ({ productId: Number(row.id), sku: row.sku, name: row.name, priceCents: row.price_cents }));
  }

  async function products(session: DbSession, ids: number[]): Promise<Map<number, Product>> {
    const found = new Map<number, Product>();
    let missing = ids;
    if (fixes.has('cache')) {
      missing = [];
      const cachedValues = await cache.getMany(ids.map(key));
      ids.forEach((id, index) => {
        const cached = cachedValues[index];
        if (cached === undefined) missing.push(id);
        else found.set(id, JSON.parse(cached) as Product);
      });
      stats.cacheHits += ids.length - missing.length;
      stats.cacheMisses += missing.length;
    }
    if (missing.length > 0) {
      const loaded = await productsFromDb(session, missing);
      for (const product of loaded) found.set(product.productId, product);
      if (fixes.has('cache')) fillInBackground(() => cache.setMany(loaded.map((product) => [key(product.productId), JSON.stringify(product)] as const), PRODUCT_TTL_MS));
    }
    return found;
  }

  async function stockRows(session: DbSession, ids: number[]): Promise<Map<number, StockRow>> {
    const sql = 'SELECT product_id, warehouse, quantity FROM stock WHERE product_id';
    const rows = fixes.has('n+1')
      ? await session.query<StockRow>(`${sql} = ANY($1::bigint[])`, [ids])
      : await oneByOne(ids, (id) => session.query<StockRow>(`${sql} = $1`, [id]));
    return new Map(rows.map((row) => [Number(row.product_id), row]));
  }

  /** The legacy ledger reconciliation of one product: a fixed cost, and it only reads (no exclusion needed). */
  async function ledgerCheck(): Promise<void> {
    await sleep(LEDGER_CHECK_MS);
  }

  async function stockFor(ids: number[]): Promise<ProductStock[]> {
    return db.withSession(async (session) => {
      // Product details and stock rows are independent reads: issued together, they overlap.
      const [details, ledger] = await Promise.all([products(session, ids), stockRows(session, ids)]);
      // One check per product, all started at once; behind the global lock they run one at a time, so the
      // lock is contended within a single request as well as across requests.
      await Promise.all(
        ids.map(() =>
          fixes.has('lock')
            ? ledgerCheck()
            : lock.run(ledgerCheck, () => {
                stats.lockWaits += 1;
              }),
        ),
      );
      return ids.map((id) => {
        const product = details.get(id);
        const stock = ledger.get(id);
        if (!product || !stock) throw new HttpError(404, `product ${id} not found`);
        return { ...product, warehouse: stock.warehouse, quantity: stock.quantity };
      });
    });
  }

  return {
    async route(request) {
      const [resource] = request.parts;
      if (resource !== 'stock') return undefined;
      if (request.method === 'GET') {
        const ids = (request.url.searchParams.get('products') ?? '').split(',').map((part) => positiveId(part));
        if (ids.length === 0 || ids.some((id) => id === undefined)) throw new HttpError(400, 'products must be a comma list of ids');
        return { status: 200, body: { items: await stockFor(ids as number[]) } };
      }
      if (request.method === 'POST' && request.parts[1] === 'reserve') {
        const items = (request.body as { items?: { productId: number; quantity: number }[] } | undefined)?.items ?? [];
        await db.withSession(async (session) => {
          for (const item of items) {
            await session.query('UPDATE stock SET quantity = quantity - $2 WHERE product_id = $1', [item.productId, item.quantity]);
          }
        });
        return { status: 200, body: { reserved: items.length } };
      }
      return undefined;
    },
  };
}

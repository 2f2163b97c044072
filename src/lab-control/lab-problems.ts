/**
 * The lab's catalogue of classic performance problems: each is a switch that is on (slow) unless its fix is applied.
 * Pure data, shared by the lab services, the control API, the CLI and the trace analysis tests.
 */
import { badInput } from '../core/errors.js';

/** Short stable names of the eight switches; naming a fix turns its problem off. */
export const FIX_NAMES = ['n+1', 'pool', 'parallel', 'cache', 'async-notify', 'lock', 'index', 'payload'] as const;

export type FixName = (typeof FIX_NAMES)[number];

/** One switchable problem: what it is, which detector should find it, and the real fix. */
export interface LabProblem {
  name: FixName;
  title: string;
  /** The trace detector expected to fire while the problem is on. */
  detector: string;
  /** Where the problem lives (service and endpoint). */
  where: string;
  /** What applying the fix does. */
  fix: string;
}

export const LAB_PROBLEMS: readonly LabProblem[] = [
  {
    name: 'n+1',
    title: 'N+1 queries: one query per order line and per product',
    detector: 'n-plus-one',
    where: 'orders GET /orders/:id (a query per line item), inventory GET /stock (a stock query per product)',
    fix: 'one JOIN / = ANY($1) query per request',
  },
  {
    name: 'pool',
    title: 'A new Postgres connection per request',
    detector: 'connection-per-request',
    where: 'orders, customers, inventory: every request opens and closes a pg.Client',
    fix: 'a shared pg.Pool per service',
  },
  {
    name: 'parallel',
    title: 'Independent downstream calls made one after another',
    detector: 'sequential-calls',
    where: 'gateway GET /orders/:id: customers then inventory',
    fix: 'Promise.all over the independent calls',
  },
  {
    name: 'cache',
    title: 'Hot customer and product reads hit the database every time',
    detector: 'repeated-reads',
    where: 'customers GET /customers/:id (customer row and loyalty tier), inventory product rows',
    fix: 'cache-aside with a TTL (Redis or in-process LRU), invalidated on write',
  },
  {
    name: 'async-notify',
    title: 'A synchronous notification call in the write path',
    detector: 'sync-side-effect',
    where: 'orders POST /orders → notifications POST /notify (slow e-mail send)',
    fix: 'enqueue in the same transaction (queue table); the notifications worker consumes it',
  },
  {
    name: 'lock',
    title: 'A global lock serialises the stock ledger check',
    detector: 'serialisation-point',
    where: 'inventory GET /stock: critical section behind one mutex (span lock.wait)',
    fix: 'remove the global lock (the ledger check is read-only)',
  },
  {
    name: 'index',
    title: 'Unindexed lookups: order lines by order, orders by customer',
    detector: 'slow-query',
    where: 'orders: SELECT … FROM order_lines WHERE order_id = $1, SELECT … FROM orders WHERE customer_id = $1',
    fix: 'CREATE INDEX on order_lines(order_id) and orders(customer_id)',
  },
  {
    name: 'payload',
    title: 'Oversized list response: every order, every line, full product descriptions',
    detector: 'large-payload',
    where: 'gateway/orders GET /orders?customer=ID (hundreds of KiB)',
    fix: 'pagination (limit, cursor) and field selection (no descriptions)',
  },
];

export function isFixName(value: string): value is FixName {
  return (FIX_NAMES as readonly string[]).includes(value);
}

/**
 * Parses a fix list as typed on the command line: `all`, `none` (or empty), or a comma list of names.
 * Unknown names are bad input naming `field`.
 */
export function parseFixList(value: string, field = '--fix'): Set<FixName> {
  const trimmed = value.trim();
  if (trimmed === 'all') return new Set(FIX_NAMES);
  if (trimmed === '' || trimmed === 'none') return new Set();
  const fixes = new Set<FixName>();
  for (const part of trimmed.split(',')) {
    const name = part.trim();
    if (!isFixName(name)) throw badInput(field, `unknown fix "${name}"; expected all, none or some of ${FIX_NAMES.join(', ')}`);
    fixes.add(name);
  }
  return fixes;
}

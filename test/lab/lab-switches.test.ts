/**
 * The lab end to end: one lab (embedded PGlite, or DATABASE_URL/REDIS_URL when set) started with every problem
 * on; each switch is hot-toggled and its effect asserted as exact counts from the services' own counters and from
 * the spans the services export to an OTLP sink.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFixes, startLab, type Lab } from '../../src/lab-control/lab.js';
import { seededCustomerOf, seededLineCount, SEED } from '../../lab/lab-schema.js';
import { backingServices, countDuring, getJson, postJson, startOtlpSink, statsOf, type OtlpSink } from './lab-test-kit.js';
import type { OrderView } from '../../lab/services/gateway.js';

interface ListBody {
  orders: { id: number; lines?: { productDescription?: string }[] }[];
  nextCursor?: number | null;
}

test('lab: endpoints, the eight switches and their fixes', { timeout: 120_000 }, async (t) => {
  const sink: OtlpSink = await startOtlpSink();
  const lab: Lab = await startLab({ fixes: new Set(), port: 0, otlpEndpoint: sink.endpoint, ...backingServices });
  const gateway = lab.gatewayUrl;
  try {
    await t.test('health and pids', async () => {
      const health = await getJson<{ ok: boolean; fixes: string[] }>(`${gateway}/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { ok: true, fixes: [] });
      assert.deepEqual(Object.keys(lab.pids).sort(), ['customers', 'gateway', 'inventory', 'notifications', 'orders', 'supervisor']);
    });

    await t.test('GET /orders/:id composes order, customer and stock from the seed', async () => {
      const { status, body } = await getJson<OrderView>(`${gateway}/orders/4242`);
      assert.equal(status, 200);
      assert.equal(body.order.id, 4242);
      assert.equal(body.order.customerId, seededCustomerOf(4242));
      assert.equal(body.order.customerId, 1695);
      assert.equal(body.order.lines.length, seededLineCount(4242));
      assert.equal(body.order.lines.length, 6); // 5 + (4242 − 1) mod 4
      assert.equal(body.customer.id, 1695);
      assert.equal(body.customer.orderCount, SEED.orders / SEED.customers);
      assert.deepEqual(
        body.stock.map((item) => item.productId).sort((a, b) => a - b),
        [...new Set(body.order.lines.map((line) => line.productId))].sort((a, b) => a - b),
      );
      const total = body.order.lines.reduce((sum, line) => sum + line.quantity * line.priceCents, 0);
      assert.equal(body.order.totalCents, total);
      assert.equal((await getJson(`${gateway}/orders/999999`)).status, 404);
      assert.equal((await getJson(`${gateway}/orders/abc`)).status, 400);
    });

    await t.test('n+1: one query per line and per product, then one query each', async () => {
      // Order 4243 has 7 lines (5 + 4242 mod 4) with 7 distinct products.
      assert.equal(seededLineCount(4243), 7);
      const slowOrders = await countDuring(lab, 'orders', () => getJson(`${gateway}/orders/4243`));
      assert.equal(slowOrders.dbQueries, 1 + 1 + 7); // order, line ids, one per line
      const slowInventory = await countDuring(lab, 'inventory', () => getJson(`${gateway}/orders/4243`));
      assert.equal(slowInventory.dbQueries, 1 + 7); // product rows at once, stock rows one by one
      await setFixes(lab, new Set(['n+1']));
      const fastOrders = await countDuring(lab, 'orders', () => getJson(`${gateway}/orders/4243`));
      assert.equal(fastOrders.dbQueries, 2);
      const fastInventory = await countDuring(lab, 'inventory', () => getJson(`${gateway}/orders/4243`));
      assert.equal(fastInventory.dbQueries, 2);
    });

    await t.test('pool: a connection per request, then none', async () => {
      await setFixes(lab, new Set());
      const slow = await countDuring(lab, 'orders', () => getJson(`${gateway}/orders/7`));
      assert.equal(slow.dbConnects, 1);
      const slowCustomers = await countDuring(lab, 'customers', () => getJson(`${gateway}/orders/7`));
      assert.equal(slowCustomers.dbConnects, 1);
      await setFixes(lab, new Set(['pool']));
      const warm = await countDuring(lab, 'orders', () => getJson(`${gateway}/orders/7`));
      assert.ok(warm.dbConnects <= 1, `the pool opens at most one connection for one request, opened ${warm.dbConnects}`);
      const fast = await countDuring(lab, 'orders', async () => {
        for (let i = 0; i < 3; i++) await getJson(`${gateway}/orders/${7 + i}`);
      });
      assert.equal(fast.dbConnects, 0);
      assert.equal(fast.requests, 3);
    });

    await t.test('parallel: customer and stock calls overlap only with the fix', async () => {
      await setFixes(lab, new Set());
      assert.equal((await countDuring(lab, 'gateway', () => getJson(`${gateway}/orders/11`))).requests, 1);
      assert.equal((await statsOf(lab, 'gateway')).peakCallsInFlight, 1);
      await setFixes(lab, new Set(['parallel']));
      await getJson(`${gateway}/orders/11`);
      assert.equal((await statsOf(lab, 'gateway')).peakCallsInFlight, 2);
    });

    await t.test('cache: repeated reads hit the cache; a write invalidates', async () => {
      // Writes an order for customer 43 (the customer of order 6); the payload subtest lists customer 29.
      await setFixes(lab, new Set());
      const uncached = await countDuring(lab, 'customers', async () => {
        await getJson(`${gateway}/orders/6`);
        await getJson(`${gateway}/orders/6`);
      });
      assert.equal(uncached.dbQueries, 4); // customer row + tier, twice
      assert.equal(uncached.cacheHits, 0);
      await setFixes(lab, new Set(['cache']));
      const first = await countDuring(lab, 'customers', () => getJson(`${gateway}/orders/6`));
      assert.equal(first.cacheMisses, 1);
      assert.equal(first.dbQueries, 2);
      const second = await countDuring(lab, 'customers', () => getJson(`${gateway}/orders/6`));
      assert.equal(second.cacheHits, 1);
      assert.equal(second.dbQueries, 0);
      const inventory = await countDuring(lab, 'inventory', () => getJson(`${gateway}/orders/6`));
      assert.equal(inventory.cacheHits, seededLineCount(6)); // order 6: 6 lines, 6 distinct products, all cached
      assert.equal(inventory.dbQueries, seededLineCount(6)); // only stock (live data), still one query per product: n+1 is on
      const customerId = seededCustomerOf(6);
      const before = (await getJson<OrderView>(`${gateway}/orders/6`)).body.customer;
      assert.equal((await postJson(`${gateway}/orders`, { customerId, items: [{ productId: 3, quantity: 1 }] })).status, 201);
      const after = (await getJson<OrderView>(`${gateway}/orders/6`)).body.customer;
      assert.equal(after.orderCount, before.orderCount + 1); // the write invalidated the cached customer
    });

    await t.test('async-notify: the send leaves the request path and the worker delivers it', async () => {
      await setFixes(lab, new Set());
      const sync = await countDuring(lab, 'notifications', () =>
        postJson(`${gateway}/orders`, { customerId: 100, items: [{ productId: 1, quantity: 2 }] }),
      );
      assert.equal(sync.notificationsSent, 1); // sent before the response
      assert.equal(sync.requests, 1);
      await setFixes(lab, new Set(['async-notify']));
      const before = await statsOf(lab, 'notifications');
      const created = await postJson<{ id: number; totalCents: number }>(`${gateway}/orders`, {
        customerId: 100,
        items: [{ productId: 1, quantity: 2 }, { productId: 2, quantity: 1 }],
      });
      assert.equal(created.status, 201);
      const immediately = await statsOf(lab, 'notifications');
      assert.equal(immediately.requests, before.requests); // no HTTP call to notifications
      const deadline = Date.now() + 10_000;
      let sent = immediately.notificationsSent - before.notificationsSent;
      while (sent < 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        sent = (await statsOf(lab, 'notifications')).notificationsSent - before.notificationsSent;
      }
      assert.equal(sent, 1);
      const view = await getJson<OrderView>(`${gateway}/orders/${created.body.id}`);
      assert.equal(view.body.order.lines.length, 2);
      assert.equal(view.body.order.totalCents, created.body.totalCents);
    });

    await t.test('lock: every stock check waits on the global lock until the fix', async () => {
      await setFixes(lab, new Set());
      const locked = await countDuring(lab, 'inventory', () => Promise.all([1, 2, 3, 4].map((id) => getJson(`${gateway}/orders/${id}`))));
      // One ledger check per product, each behind the lock: orders 1–4 have 5, 6, 7 and 8 lines.
      assert.equal(locked.lockWaits, 5 + 6 + 7 + 8);
      await setFixes(lab, new Set(['lock']));
      const free = await countDuring(lab, 'inventory', () => Promise.all([1, 2, 3, 4].map((id) => getJson(`${gateway}/orders/${id}`))));
      assert.equal(free.lockWaits, 0);
      assert.equal(free.requests, 4);
    });

    await t.test('index: plans go from Seq Scan to Index Scan', async () => {
      await setFixes(lab, new Set());
      const slow = await getJson<{ indexFix: boolean; plans: { name: string; plan: string[] }[] }>(`${lab.serviceUrls.orders}/admin/explain`);
      assert.equal(slow.body.plans.length, 2);
      for (const plan of slow.body.plans) assert.match(plan.plan[0] ?? '', /^Seq Scan on (order_lines|orders)/);
      await setFixes(lab, new Set(['index']));
      const fast = await getJson<{ indexFix: boolean; plans: { name: string; plan: string[] }[] }>(`${lab.serviceUrls.orders}/admin/explain`);
      assert.equal(fast.body.indexFix, true);
      for (const plan of fast.body.plans) assert.match(plan.plan.join('\n'), /Index Scan using (order_lines_order_id_idx|orders_customer_id_idx)|Bitmap Index Scan/);
    });

    await t.test('payload: the full list is hundreds of KiB; the fix pages it', async () => {
      await setFixes(lab, new Set());
      const full = await getJson<ListBody>(`${gateway}/orders?customer=29`);
      assert.equal(full.status, 200);
      // Customer 29 has orders 4, 2004, …, 8004: 5 orders of 8 lines each, every line with a 12 KiB description.
      assert.deepEqual(full.body.orders.map((order) => order.id), [4, 2004, 4004, 6004, 8004]);
      assert.equal(full.body.orders.reduce((sum, order) => sum + (order.lines?.length ?? 0), 0), 40);
      assert.ok(full.bytes > 40 * SEED.descriptionBytes, `full list is ${full.bytes} bytes`);
      assert.equal(full.body.orders[0]?.lines?.[0]?.productDescription?.length, SEED.descriptionBytes);
      await setFixes(lab, new Set(['payload']));
      const page = await getJson<ListBody>(`${gateway}/orders?customer=29`);
      assert.equal(page.body.orders.length, 5);
      assert.equal(page.body.nextCursor, null);
      assert.ok(page.bytes < 3000, `page is ${page.bytes} bytes`);
      const ids: number[] = [];
      let cursor: number | null | undefined = 0;
      let pages = 0;
      while (cursor !== null && cursor !== undefined) {
        const next: { body: ListBody } = await getJson<ListBody>(`${gateway}/orders?customer=29&limit=2&cursor=${cursor}`);
        ids.push(...next.body.orders.map((order) => order.id));
        cursor = next.body.nextCursor;
        pages += 1;
      }
      assert.equal(pages, 3);
      assert.deepEqual(ids, full.body.orders.map((order) => order.id));
    });

    await t.test('spans: the services export OTLP with the attributes the detectors read', async () => {
      const spans = await sink.waitFor(
        (received) =>
          received.some((span) => span.name === 'lock.wait') &&
          received.some((span) => (span.attributes['http.response.body.size'] as number) > 40 * SEED.descriptionBytes) &&
          received.some((span) => span.name === 'pg.connect'),
      );
      const services = new Set(spans.map((span) => span.service));
      for (const name of ['gateway', 'orders', 'customers', 'inventory', 'notifications']) assert.ok(services.has(name), `no spans from ${name}`);
      // One trace spans services: the gateway's server span is the root of orders' server span.
      const ordersServer = spans.find((span) => span.service === 'orders' && span.kind === 'server' && span.parentSpanId);
      assert.ok(ordersServer);
      const parent = spans.find((span) => span.spanId === ordersServer.parentSpanId);
      assert.equal(parent?.service, 'gateway');
      assert.equal(parent?.kind, 'client');
      assert.ok(spans.some((span) => span.service === 'orders' && span.attributes['db.system'] === 'postgresql'));
    });
  } finally {
    await lab.stop();
    await sink.close();
  }
});

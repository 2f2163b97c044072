/**
 * The lab's Postgres: embedded PGlite served over the wire protocol by pglite-socket (default), or a fresh
 * database `perfloop_lab_<pid>` on a real server (DATABASE_URL), dropped again when the lab stops.
 * Either way the schema and seed are created anew, so every lab starts from the same data.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { ExchangeQueryQueue } from './pglite-query-queue.js';
import { INDEX_SQL, SCHEMA_SQL, SEED_SQL } from './lab-schema.js';

export interface LabDatabase {
  /** Connection string for the services. */
  url: string;
  /** `pglite` or `postgres`. */
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Part of the snapshot key: a new PGlite may not read an old one's data directory. */
const PGLITE_VERSION = '0.5.14';

/** Thrown when the database cannot be reached or prepared; the message says which URL and why. */
export class LabDatabaseError extends Error {}

function seedSql(withIndexes: boolean): string {
  return `${SCHEMA_SQL}\n${SEED_SQL}\n${withIndexes ? INDEX_SQL.create.map((sql) => `${sql};`).join('\n') : ''}`;
}

export async function startEmbeddedDatabase(withIndexes: boolean): Promise<LabDatabase> {
  const { PGLiteSocketHandler } = await import('@electric-sql/pglite-socket');
  const db = await seededPglite();
  if (withIndexes) await db.exec(INDEX_SQL.create.map((sql) => `${sql};`).join('\n'));
  // PGlite is one backend; each client connection gets a pglite-socket handler, and all handlers share a
  // queue that keeps one client's extended-protocol exchange (and open transaction) together.
  const queue = new ExchangeQueryQueue(db) as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'];
  const handlers = new Set<InstanceType<typeof PGLiteSocketHandler>>();
  const server = createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    handler.addEventListener('close', () => handlers.delete(handler));
    handler.addEventListener('error', () => handlers.delete(handler));
    handler.attach(socket).catch(() => socket.destroy());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kind: 'pglite',
    async close() {
      for (const handler of handlers) await handler.detach(true).catch(() => undefined);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.close().catch(() => undefined);
    },
  };
}

/**
 * A PGlite with the seeded schema. initdb plus seeding takes 5–15 s on a small machine; restoring a data-directory
 * snapshot takes about 2 s, so the first start saves one (in the OS temp dir, keyed by the seed SQL and the
 * PGlite version) and later starts load it.
 */
async function seededPglite(): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const key = createHash('sha256').update(`${PGLITE_VERSION}\n${SCHEMA_SQL}\n${SEED_SQL}`).digest('hex').slice(0, 16);
  const snapshot = join(tmpdir(), `perfloop-lab-pglite-${key}.tar`);
  if (existsSync(snapshot)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(snapshot)]) });
    } catch {
      // A damaged snapshot: fall through and rebuild it.
    }
  }
  const db = await PGlite.create();
  await db.exec(seedSql(false));
  try {
    const dump = await db.dumpDataDir('none');
    // Write then rename, so a concurrent start never reads half a snapshot.
    const partial = `${snapshot}.${process.pid}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, snapshot);
  } catch {
    // No snapshot: the next start seeds again.
  }
  return db;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new LabDatabaseError(`cannot connect to ${redact(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL (unparseable)';
  }
}

export async function prepareServerDatabase(baseUrl: string, withIndexes: boolean): Promise<LabDatabase> {
  let labUrl: URL;
  try {
    labUrl = new URL(baseUrl);
  } catch {
    throw new LabDatabaseError('DATABASE_URL is not a valid URL');
  }
  const name = `perfloop_lab_${process.pid}`;
  labUrl.pathname = `/${name}`;
  await withClient(baseUrl, async (admin) => {
    // Labs whose supervisor died without cleaning up leave their database behind; drop those.
    const stale = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'perfloop\\_lab\\_%'");
    for (const { datname } of stale.rows) {
      const pid = Number(datname.slice('perfloop_lab_'.length));
      if (datname === name || !isAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  await withClient(labUrl.toString(), (client) => client.query(seedSql(withIndexes)));
  return {
    url: labUrl.toString(),
    kind: 'postgres',
    async close() {
      await withClient(baseUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => undefined);
    },
  };
}

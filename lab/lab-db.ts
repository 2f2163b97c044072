/**
 * Database access for a lab service. With the `pool` fix, sessions borrow from a shared pg.Pool; without it,
 * every session opens (and closes) its own connection — the connection-per-request problem.
 */
import type * as PgModule from 'pg';
import type { QueryResultRow } from 'pg';
import type { FixName } from '../src/lab-control/lab-problems.js';
import { labRequire } from './lab-require.js';
import type { ServiceStats } from './service-stats.js';

const pg = labRequire('pg') as typeof PgModule;

/** What every new connection runs first, as real services do (timeouts, a name for pg_stat_activity). */
const SESSION_SETUP_SQL = "SET statement_timeout = '5s'; SET application_name = 'perfloop-lab'";

/** A scope of queries made on behalf of one request. */
export interface DbSession {
  query<R extends QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
}

export class LabDb {
  private readonly pool: PgModule.Pool;

  constructor(
    private readonly databaseUrl: string,
    private readonly fixes: ReadonlySet<FixName>,
    private readonly stats: ServiceStats,
    poolSize = 10,
  ) {
    // Pooled connections get the same session settings through the startup packet, once per connection.
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      statement_timeout: 5000,
      application_name: 'perfloop-lab',
    });
    // An idle pooled client losing its server must not crash the service.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', () => {
      this.stats.dbConnects += 1;
    });
  }

  /** Runs `work` with a session; the connection policy follows the `pool` fix at call time. */
  async withSession<T>(work: (session: DbSession) => Promise<T>): Promise<T> {
    if (this.fixes.has('pool')) return work(this.sessionOn(this.pool));
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', () => undefined);
    this.stats.dbConnects += 1;
    await client.connect();
    await client.query(SESSION_SETUP_SQL);
    try {
      return await work(this.sessionOn(client));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Runs `work` inside a transaction on one pooled connection (used by writes and the queue worker). */
  async transaction<T>(work: (session: DbSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const session = this.sessionOn(client);
    try {
      await session.query('BEGIN');
      const result = await work(session);
      await session.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private sessionOn(queryable: PgModule.Pool | PgModule.ClientBase): DbSession {
    return {
      query: async <R extends QueryResultRow>(sql: string, params: unknown[] = []) => {
        this.stats.dbQueries += 1;
        const result = await queryable.query<R>(sql, params);
        return result.rows;
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * Run history stores (edge): SQLite via better-sqlite3 (a file under .perfloop/), and an in-memory double with the
 * same contract for tests. Rows are keyed by run id: adding a run twice replaces it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { badInput } from '../core/errors.js';
import { ioErrorFor } from '../core/output-path.js';
import type { HistoryEntry } from './history-entry.js';

export interface HistoryStore {
  /** Adds or replaces entries (by run id); returns how many were written. */
  add(entries: readonly HistoryEntry[]): number;
  /** Entries in start order (then run id), optionally of one series. */
  list(series?: string): HistoryEntry[];
  close(): void;
}

const byStart = (a: HistoryEntry, b: HistoryEntry): number => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId);

export class InMemoryHistoryStore implements HistoryStore {
  private readonly entries = new Map<string, HistoryEntry>();

  add(entries: readonly HistoryEntry[]): number {
    for (const entry of entries) this.entries.set(entry.runId, { ...entry });
    return entries.length;
  }

  list(series?: string): HistoryEntry[] {
    return [...this.entries.values()].filter((entry) => series === undefined || entry.series === series).sort(byStart);
  }

  close(): void {}
}

interface Row {
  run_id: string;
  started_at: string;
  series: string;
  count: number;
  throughput_per_sec: number;
  error_rate: number;
  mean_us: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  p999_us: number;
  valid: number;
  source: string;
}

/** SQLite failures as typed errors: a corrupt or foreign file is bad input, an unusable path is an IO error. */
function historyError(path: string, error: unknown): Error {
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /no such (table|column)/.test(message)) {
    return badInput(path, `not a perfloop history database (${message})`);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || (error as NodeJS.ErrnoException).syscall) {
    return ioErrorFor(path, error, 'cannot use history database');
  }
  return error instanceof Error ? error : new Error(message);
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  series TEXT NOT NULL,
  count INTEGER NOT NULL,
  throughput_per_sec REAL NOT NULL,
  error_rate REAL NOT NULL,
  mean_us REAL NOT NULL,
  p50_us REAL NOT NULL,
  p90_us REAL NOT NULL,
  p99_us REAL NOT NULL,
  p999_us REAL NOT NULL,
  valid INTEGER NOT NULL,
  source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_series_started ON runs (series, started_at);
`;

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Database.Database;

  /**
   * Opens (creating if needed) the database file; `:memory:` for a throwaway store. `readOnly` opens an
   * existing file without creating or changing anything (what `history show` does). A file that is not a
   * history database is bad input naming it; one that cannot be opened or created is an IO error.
   */
  constructor(
    private readonly path: string,
    options: { readOnly?: boolean } = {},
  ) {
    try {
      if (options.readOnly) {
        this.db = new Database(path, { readonly: true, fileMustExist: true });
        this.db.prepare('SELECT run_id FROM runs LIMIT 1').all();
      } else {
        if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
        this.db = new Database(path);
        // WAL: `history add` from a CI job and `history show` from a person can overlap without "database is locked".
        this.db.pragma('journal_mode = WAL');
        this.db.exec(SCHEMA);
      }
    } catch (error) {
      throw historyError(path, error);
    }
  }

  add(entries: readonly HistoryEntry[]): number {
    try {
      return this.addRows(entries);
    } catch (error) {
      throw historyError(this.path, error);
    }
  }

  private addRows(entries: readonly HistoryEntry[]): number {
    const insert = this.db.prepare(
      `INSERT OR REPLACE INTO runs (run_id, started_at, series, count, throughput_per_sec, error_rate, mean_us, p50_us, p90_us, p99_us, p999_us, valid, source)
       VALUES (@run_id, @started_at, @series, @count, @throughput_per_sec, @error_rate, @mean_us, @p50_us, @p90_us, @p99_us, @p999_us, @valid, @source)`,
    );
    const insertAll = this.db.transaction((rows: readonly HistoryEntry[]) => {
      for (const entry of rows) {
        insert.run({
          run_id: entry.runId,
          started_at: entry.startedAt,
          series: entry.series,
          count: entry.count,
          throughput_per_sec: entry.throughputPerSec,
          error_rate: entry.errorRate,
          mean_us: entry.meanUs,
          p50_us: entry.p50Us,
          p90_us: entry.p90Us,
          p99_us: entry.p99Us,
          p999_us: entry.p999Us,
          valid: entry.valid ? 1 : 0,
          source: entry.source,
        } satisfies Row);
      }
    });
    insertAll(entries);
    return entries.length;
  }

  list(series?: string): HistoryEntry[] {
    try {
      return this.listRows(series);
    } catch (error) {
      throw historyError(this.path, error);
    }
  }

  private listRows(series?: string): HistoryEntry[] {
    const rows = (
      series === undefined
        ? this.db.prepare('SELECT * FROM runs ORDER BY started_at, run_id').all()
        : this.db.prepare('SELECT * FROM runs WHERE series = ? ORDER BY started_at, run_id').all(series)
    ) as Row[];
    return rows.map((row) => ({
      runId: row.run_id,
      startedAt: row.started_at,
      series: row.series,
      count: row.count,
      throughputPerSec: row.throughput_per_sec,
      errorRate: row.error_rate,
      meanUs: row.mean_us,
      p50Us: row.p50_us,
      p90Us: row.p90_us,
      p99Us: row.p99_us,
      p999Us: row.p999_us,
      valid: row.valid === 1,
      source: row.source,
    }));
  }

  close(): void {
    this.db.close();
  }
}

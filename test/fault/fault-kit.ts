/** Shared pieces of the fault suite: clean-error assertions and small loopback servers that count requests. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import type { CliResult } from '../helpers/cli.js';
import { exitCodeFor, isPerfloopError } from '../../src/core/errors.js';

/** A user's mistake: the given exit status, a message matching `pattern`, and no stack trace. */
export function assertCleanError(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit status (stderr: ${result.stderr})`);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at .+[(:]\d+/, 'no stack trace');
}

/** Files whose name ends in .tmp under `dir` (a failed write must leave none). */
export const temporaryFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'));

/** An HTTP server on loopback that answers 200 and counts requests: a fault that stops before the load leaves 0. */
export async function countingServer(): Promise<{ url: string; port: number; count(): number; close(): Promise<void> }> {
  let count = 0;
  const server = createServer((_request, response) => {
    count++;
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    count: () => count,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Runs a command in this process as main.ts would, without a child's start-up cost: the exit status of the
 * error it throws (typed errors only: anything else would print a stack trace, so it fails the test).
 */
export async function runInProcess(command: { run(argv: string[]): Promise<number> }, args: string[]): Promise<{ code: number; message: string }> {
  try {
    return { code: await command.run(args), message: '' };
  } catch (error) {
    assert.ok(isPerfloopError(error), `an untyped error (would print a stack trace): ${error instanceof Error ? error.stack : String(error)}`);
    return { code: exitCodeFor(error), message: error.message };
  }
}

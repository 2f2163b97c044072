/** Fault matrix, `usl fit` CSV: columns by header name, ambiguity refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPerfloopError } from '../../src/core/errors.js';
import { readUslCsv } from '../../src/model/usl-csv.js';

const rows = [
  [1, 64.9, 15.4],
  [18, 995.9, 18.1],
  [36, 1652.4, 21.8],
];
const expected = rows.map(([n, x]) => ({ n: n!, throughputPerSec: x! }));

function rejects(text: string, field: string, message: RegExp): void {
  assert.throws(() => readUslCsv(text, 'd.csv'), (error: unknown) => {
    assert.ok(isPerfloopError(error));
    assert.equal(error.field, field);
    assert.match(error.message, message);
    return true;
  });
}

test('headers pick N and X by name in any order; latency columns are ignored and named', () => {
  // The issue's two cases: "N,latency_ms,X" was fitted on latency, "X,N" was swapped.
  const withLatency = readUslCsv(`N,latency_ms,X\n${rows.map(([n, x, r]) => `${n},${r},${x}`).join('\n')}\n`, 'd.csv');
  assert.deepEqual(withLatency.points, expected);
  assert.deepEqual(withLatency.columns, { n: 'N', x: 'X', ignored: ['latency_ms'] });
  assert.deepEqual(readUslCsv(`X,N\n${rows.map(([n, x]) => `${x},${n}`).join('\n')}\n`, 'd.csv').points, expected);
  assert.deepEqual(readUslCsv(`# sweep\nconcurrency; p99 (ms); throughput (req/s)\n${rows.map(([n, x, r]) => `${n};${r};${x}`).join('\n')}\n`, 'd.csv').points, expected);
  assert.deepEqual(readUslCsv(`users\tthroughput_rps\n${rows.map(([n, x]) => `${n}\t${x}`).join('\n')}\n`, 'd.csv').points, expected);
  const positional = readUslCsv(`${rows.map(([n, x]) => `${n},${x}`).join('\n')}\n`, 'd.csv');
  assert.equal(positional.columns, 'positional');
  assert.deepEqual(positional.points, expected);
});

test('ambiguous or unusable headers are errors naming the line', () => {
  rejects('N,concurrency,X\n1,1,10\n', 'd.csv:1', /ambiguous header: "N" and "concurrency" could both be N/);
  rejects('N,X,throughput\n1,10,10\n', 'd.csv:1', /ambiguous header: "X" and "throughput" could both be X/);
  rejects('N,latency_ms\n1,10\n', 'd.csv:1', /no throughput column .*name it X or throughput/);
  rejects('level,latency\n1,10\n', 'd.csv:1', /no concurrency column/);
  rejects('1,10,5\n2,20,5\n', 'd.csv:1', /3 columns and no header/);
  rejects('N,X\n1,10\n2,x\n', 'd.csv:3', /expected numbers for N and X/);
  rejects('N,X\n', 'd.csv', /no data rows/);
});

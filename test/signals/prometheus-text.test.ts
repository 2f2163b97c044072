import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotOf } from '../../src/signals/metric-snapshot.js';
import { parseExposition, parseSampleLine } from '../../src/signals/prometheus-text.js';

const TEXT = `# HELP http_request_duration_seconds Handler time.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/a",le="0.01"} 2
http_request_duration_seconds_bucket{route="/a",le="0.1"} 7
http_request_duration_seconds_bucket{route="/a",le="+Inf"} 10
http_request_duration_seconds_sum{route="/a"} 3.5
http_request_duration_seconds_count{route="/a"} 10
http_request_duration_seconds_bucket{le="0.01",route="/b \\"q\\""} 1
http_request_duration_seconds_bucket{le="+Inf",route="/b \\"q\\""} 1
http_request_duration_seconds_sum{route="/b \\"q\\""} 0.004
http_request_duration_seconds_count{route="/b \\"q\\""} 1
# TYPE requests counter
requests_total{code="200"} 1027 1395066363000
requests_created{code="200"} 1395066363
# TYPE temperature gauge
temperature -3.5e1
# TYPE rpc summary
rpc{quantile="0.5"} 0.2
rpc_sum 12
rpc_count 40
untyped_total 5
weird{a="x\\ny"} NaN
this is not a sample
bad{a="open 1
# EOF
`;

test('parses histograms with extra labels, counters with _total, gauges, summaries, escapes; counts bad lines', () => {
  const parsed = parseExposition(TEXT);
  assert.equal(parsed.badLines, 2);
  assert.equal(parsed.firstBadLine, 'this is not a sample');
  const snapshot = snapshotOf(parsed);
  const a = snapshot.get('http_request_duration_seconds{route="/a"}');
  assert.deepEqual(a?.reading, { kind: 'histogram', sum: 3.5, count: 10, buckets: [{ le: 0.01, count: 2 }, { le: 0.1, count: 7 }, { le: Infinity, count: 10 }] });
  const b = snapshot.get('http_request_duration_seconds{route="/b \\"q\\""}');
  assert.deepEqual(b?.labels, { route: '/b "q"' });
  assert.equal(b?.reading.kind === 'histogram' && b.reading.count, 1);
  assert.deepEqual(snapshot.get('requests_total{code="200"}')?.reading, { kind: 'counter', value: 1027 });
  assert.equal([...snapshot.keys()].some((key) => key.startsWith('requests_created')), false);
  assert.deepEqual(snapshot.get('temperature')?.reading, { kind: 'gauge', value: -35 });
  assert.deepEqual(snapshot.get('rpc')?.reading, { kind: 'summary', sum: 12, count: 40 });
  assert.deepEqual(snapshot.get('rpc{quantile="0.5"}')?.reading, { kind: 'gauge', value: 0.2 });
  assert.deepEqual(snapshot.get('untyped_total')?.reading, { kind: 'counter', value: 5 });
  assert.equal(snapshot.get('weird{a="x\\ny"}')?.labels.a, 'x\ny');
});

test('sample lines: values, timestamps, exemplars; malformed lines are undefined', () => {
  assert.deepEqual(parseSampleLine('x 1.5e3'), { name: 'x', labels: {}, value: 1500 });
  assert.deepEqual(parseSampleLine('x{} +Inf 123'), { name: 'x', labels: {}, value: Infinity });
  assert.deepEqual(parseSampleLine('x_bucket{le="1"} 3 # {trace_id="abc"} 0.5 1.6e9'), { name: 'x_bucket', labels: { le: '1' }, value: 3 });
  assert.equal(parseSampleLine('x'), undefined);
  assert.equal(parseSampleLine('x abc'), undefined);
  assert.equal(parseSampleLine('1x 3'), undefined);
  assert.equal(parseSampleLine('x{a=b} 3'), undefined);
  assert.equal(parseExposition('<html><body>Not Found</body></html>\n').families.length, 0);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTraceIds, traceparentFor } from '../../src/load/trace-context.js';

test('traceparent carries the same ids as the trace samples, for any run and request number', () => {
  for (const runTraceId of ['0123456789abcdef', 'fedcba9876543210', '0123456789abcdef']) {
    for (const requestNumber of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]) {
      const { traceId, spanId } = requestTraceIds(runTraceId, requestNumber);
      assert.equal(traceparentFor(runTraceId, requestNumber, true), `00-${traceId}-${spanId}-01`);
      assert.equal(traceparentFor(runTraceId, requestNumber, false), `00-${traceId}-${spanId}-00`);
      assert.match(traceId, /^[0-9a-f]{32}$/);
      assert.match(spanId, /^[0-9a-f]{16}$/);
      assert.notEqual(spanId, '0'.repeat(16));
    }
  }
  assert.equal(traceparentFor('0123456789abcdef', 10, true), '00-0123456789abcdef000000000000000a-012345670000000b-01');
});

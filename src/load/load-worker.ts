/**
 * Worker-thread entry: runs one segment of the schedule and streams sealed intervals to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../core/clock.js';
import { HttpTransport } from './http-transport.js';
import { runSegment } from './segment-runner.js';
import type { MainMessage, WorkerMessage, WorkerTask } from './worker-protocol.js';

const task = workerData as WorkerTask;
const port = parentPort;
if (!port) throw new Error('load-worker must run in a worker thread');
const post = (message: WorkerMessage): void => port.postMessage(message);
const stop = new AbortController();
const transport = new HttpTransport(task.scenario.requests, { connections: task.scenario.connections, keepAlive: task.scenario.keepAlive }, systemClock);

function run(startEpochMs: number): void {
  // Each thread has its own performance.timeOrigin; this maps the shared start onto this thread's clock.
  const startUs = (startEpochMs - performance.timeOrigin) * 1000;
  runSegment({
    scenario: task.scenario,
    segment: task.segment,
    clock: systemClock,
    sender: transport,
    startUs,
    runTraceId: task.runTraceId,
    traceSampleRate: task.traceSampleRate,
    samplesCap: task.samplesCap,
    signal: stop.signal,
    onIntervalsSealed: (intervals) => post({ type: 'sealed', intervals }),
  })
    .then(async (result) => {
      await transport.close();
      // Intervals already streamed; the final message carries the rest of the result.
      post({ type: 'done', result: { ...result, intervals: [] } });
    })
    .catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
}

port.on('message', (message: MainMessage) => {
  if (message.type === 'start') run(message.startEpochMs);
  else stop.abort();
});
post({ type: 'ready' });

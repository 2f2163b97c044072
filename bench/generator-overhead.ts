/**
 * The generator's own cost per request, without network: a closed model of 64 users against a sender
 * that answers on the next event-loop turn. Requests/s here is the ceiling perfloop's bookkeeping
 * (schedule, trace context, histograms, intervals) allows on one core.
 *   node dist/bench/generator-overhead.js [seconds=3]
 */
import { systemClock } from '../src/core/clock.js';
import { summarizeIntervals } from '../src/core/run-aggregate.js';
import { normalizeScenario } from '../src/load/scenario.js';
import type { RequestSender } from '../src/load/request-sender.js';
import { runLoad } from '../src/load/run-load.js';

const seconds = Number(process.argv[2] ?? 3);

const instantSender: RequestSender = {
  send(slot, _requestIndex, _traceparent, _path, done) {
    const sentUs = systemClock.nowUs();
    setImmediate(() => done(slot, { sentUs, written: true, endUs: systemClock.nowUs(), status: 200, bytesReceived: 100 }));
  },
  close: () => Promise.resolve(),
};

for (const sampleRate of [0, 1]) {
  const scenario = normalizeScenario({ requests: [{ url: 'http://127.0.0.1:1/' }], phases: [{ kind: 'closed', users: 64, duration: `${seconds}s` }] });
  const run = await runLoad(scenario, { clock: systemClock, sender: instantSender, traceSampleRate: sampleRate });
  const summary = summarizeIntervals(run.intervals);
  console.log(`generator overhead (no network), trace sample rate ${sampleRate}: ${Math.round(summary.total.throughputPerSec).toLocaleString('en-US')} requests/s on one thread`);
}

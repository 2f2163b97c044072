/** The run's environment, recorded so a result can be judged (and compared) with its context. */
import { cpus, hostname } from 'node:os';
import type { Environment } from '../core/run-file.js';
import type { Segment } from './arrival-schedule.js';

export const PERFLOOP_VERSION = '0.1.0';

export function describeEnvironment(workers: number, segment: Segment): Environment {
  const cpuList = cpus();
  return {
    perfloopVersion: PERFLOOP_VERSION,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cpus: cpuList.length,
    hostname: hostname(),
    workers,
    segment,
  };
}

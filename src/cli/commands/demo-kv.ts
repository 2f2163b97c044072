/** `perfloop demo kv`: the loop on the replicated key-value lab (3 etcd members + app tier), in one command. */
import { join } from 'node:path';
import { badInput } from '../../core/errors.js';
import { parseDurationMs } from '../../core/units.js';
import { CulpritSpecError, parseCulprits } from '../../lab-control/kv-culprits.js';
import { etcdInstalled } from '../../lab-control/kv-lab.js';
import { renderKvDemoTable } from '../../demo/render-kv-demo.js';
import { demoCulpritOf, runKvDemo } from '../../demo/run-kv-demo.js';
import { parseFlags, positiveInteger, positiveNumber } from '../parse-flags.js';
import { fraction } from './demo.js';
import { demoKvUsage } from './demo-kv-usage.js';


export async function runDemoKv(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${demoKvUsage}\n`);
    return 0;
  }
  const { values, positionals } = parseFlags(
    argv,
    {
      only: { type: 'string' },
      rate: { type: 'string' },
      measure: { type: 'string' },
      warmup: { type: 'string' },
      block: { type: 'string' },
      'block-warmup': { type: 'string' },
      'max-pairs': { type: 'string' },
      alpha: { type: 'string' },
      'min-effect': { type: 'string' },
      'out-dir': { type: 'string' },
    },
    'demo kv',
  );
  if (positionals.length > 0) throw badInput(positionals[0] ?? 'demo kv', 'unexpected argument');
  const culprits = values.only?.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of culprits ?? []) {
    try {
      parseCulprits(entry);
      demoCulpritOf(entry);
    } catch (error) {
      if (error instanceof CulpritSpecError) throw badInput('--only', error.message);
      throw error;
    }
  }
  if (culprits?.length === 0) throw badInput('--only', 'needs at least one culprit, e.g. network=10,lock');
  if (!etcdInstalled()) throw badInput('etcd', 'etcd and etcdctl are not installed (Debian: apt-get install etcd-server etcd-client)');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const result = await runKvDemo({
    ...(culprits ? { culprits } : {}),
    ratePerSec: positiveNumber(values.rate, '--rate', 30),
    measureMs: parseDurationMs(values.measure ?? '4s', '--measure'),
    warmupMs: parseDurationMs(values.warmup ?? '1s', '--warmup'),
    blockMs: parseDurationMs(values.block ?? '2s', '--block'),
    blockWarmupMs: parseDurationMs(values['block-warmup'] ?? '500ms', '--block-warmup'),
    maxPairs: positiveInteger(values['max-pairs'], '--max-pairs', 3),
    alpha: fraction(values.alpha, '--alpha', 0.05),
    minEffect: fraction(values['min-effect'], '--min-effect', 0.05),
    outDir: values['out-dir'] ?? join('.perfloop', `demo-kv-${stamp}`),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${renderKvDemoTable(result)}\n`);
  return 0;
}

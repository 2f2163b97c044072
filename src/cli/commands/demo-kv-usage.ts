/** Usage of `perfloop demo kv` (its own file: `perfloop demo --help` shows it without loading the kv demo). */
import { KV_DEMO_CULPRITS } from '../../demo/run-kv-demo.js';

export const demoKvUsage = `usage: perfloop demo kv [--only LIST] [--rate 30] [--measure 4s] [--warmup 1s] [--block 2s] [--block-warmup 500ms]
                        [--max-pairs 3] [--alpha 0.05] [--min-effect 0.05] [--out-dir DIR]

Starts the kv lab (3 etcd members on loopback, kv0 leading, an app tier in front), measures it healthy, then
plants the culprits one at a time (default: ${KV_DEMO_CULPRITS.map((culprit) => culprit.on).join(' ')}).
For each: PUTs through the app tier while every member's /metrics, process and cgroup signals and the app's
/metrics are read each second; the kv detectors name the culprit, the node and the fix; the fix the top finding
names is validated in interleaved unfixed/fixed blocks (the diagnosis run is the first unfixed one; --block
each, ≤ --max-pairs pairs, sequential test at --alpha); the finding must be gone in the fixed blocks. slow-follower is the control (no network finding).
--only network=10,lock runs just those culprits (one round each). Run files go to --out-dir.`;

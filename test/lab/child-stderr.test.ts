import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { forwardStderr } from '../../lab/child-stderr.js';

test('a service opening and closing an inspector: its stderr keeps its own lines, not Node\'s inspector notices', async () => {
  const script = "const inspector = require('node:inspector'); console.error('before'); inspector.open(0, '127.0.0.1'); console.error('during'); inspector.close(); console.error('after');";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const out = new PassThrough();
  let forwarded = '';
  out.on('data', (chunk: Buffer) => (forwarded += chunk.toString()));
  forwardStderr(child.stderr, out);
  await once(child, 'close');
  assert.equal(forwarded, 'before\nduring\nafter\n');
});

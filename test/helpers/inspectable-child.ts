/** A Node child running `script` with the inspector on a free loopback port, for profiling tests. */
import { spawn, type ChildProcess } from 'node:child_process';

/** Starts the child and resolves with its inspector port once it listens; the script exits by itself after 20 s. */
export async function inspectableChild(script: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', `${script}\nsetTimeout(()=>process.exit(0),20000).unref();`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (data: Buffer) => {
      text += data.toString();
      const match = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', () => reject(new Error(`child exited: ${text}`)));
  });
  return { child, port };
}

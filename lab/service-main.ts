/**
 * Entry of one lab service process (forked by the supervisor). Starts telemetry first, then loads the service
 * so that `http`, `pg` and `ioredis` are instrumented, reports `booted`, waits for its wiring (database and peer
 * URLs), listens, and reports its port. Exits when the supervisor goes away, so no service outlives its lab.
 */
import { readServiceConfig, type ServiceName } from './service-config.js';
import { startTelemetry } from './telemetry.js';
import type { ServiceMessage, WiringMessage } from './service-messages.js';

function report(message: ServiceMessage): void {
  if (process.send && process.connected) process.send(message);
}

function nextMessage<K extends WiringMessage['type']>(type: K): Promise<Extract<WiringMessage, { type: K }>> {
  return new Promise((resolve) => {
    const onMessage = (message: WiringMessage) => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      resolve(message as Extract<WiringMessage, { type: K }>);
    };
    process.on('message', onMessage);
  });
}

let started = false;

async function main(): Promise<void> {
  const serviceName = (process.env.LAB_SERVICE ?? 'unknown') as ServiceName;
  const port = Number(process.env.LAB_PORT ?? '0');
  const telemetry = startTelemetry(serviceName, process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318');
  // Loaded after telemetry on purpose: see lab-require.ts.
  const { runService } = await import('./run-service.js');
  const wiring = nextMessage('wiring');
  report({ type: 'booted' });
  const config = readServiceConfig(process.env, await wiring);
  const running = await runService(config).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') report({ type: 'error', message: `port ${port} is already in use`, field: '--port' });
    else report({ type: 'error', message: `${serviceName}: ${error instanceof Error ? error.message : String(error)}` });
    throw error;
  });
  started = true;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // A hung dependency must not keep the process alive: bounded shutdown.
    setTimeout(() => process.exit(0), 3000).unref();
    await running.close();
    await telemetry.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.on('disconnect', () => void stop());

  const peers = nextMessage('peers');
  report({ type: 'ready', port: running.port });
  Object.assign(config.peers, (await peers).peers);
  report({ type: 'wired' });
}

// Die with the supervisor even while still booting.
process.on('disconnect', () => {
  if (!started) process.exit(0);
});
main().catch((error: unknown) => {
  // A taken port was already reported to the supervisor, which names it; anything else is worth a stack.
  if ((error as { code?: string }).code !== 'EADDRINUSE') process.stderr.write(`lab ${process.env.LAB_SERVICE ?? 'service'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

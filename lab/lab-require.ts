/**
 * CommonJS `require` for the lab services. The OpenTelemetry instrumentations patch modules as they are
 * required (require-in-the-middle); loading `http`, `pg` and `ioredis` through `require` after telemetry has
 * started is what makes their spans appear without an ESM loader hook.
 */
import { createRequire } from 'node:module';

export const labRequire = createRequire(import.meta.url);

/** IPC messages between lab processes (service → supervisor, supervisor → control API). */

import type { ServiceWiring } from './service-config.js';

/**
 * Service → supervisor: `booted` (code loaded, waiting for wiring), `ready` (listening), `wired` (peers known)
 * or `error`.
 */
export type ServiceMessage =
  | { type: 'booted' }
  | { type: 'ready'; port: number }
  | { type: 'wired' }
  | { type: 'error'; message: string; field?: string };

/** Supervisor → service: first the database URL (then it listens), then the peers' URLs. */
export type WiringMessage = ({ type: 'wiring' } & ServiceWiring) | { type: 'peers'; peers: Record<string, string> };

export interface LabReadyMessage {
  type: 'ready';
  gatewayUrl: string;
  /** Base URL of every service, by name. */
  services: Record<string, string>;
  /** Process ids: the supervisor and each service. */
  pids: Record<string, number>;
  /** Connection string the services use (PGlite socket or the lab's own database). */
  databaseUrl: string;
}

export type SupervisorMessage = LabReadyMessage | { type: 'error'; message: string; field?: string };

/** Configuration handed to the supervisor in the LAB_CONFIG environment variable (JSON). */
export interface SupervisorConfig {
  fixes: string[];
  port: number;
  otlpEndpoint: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Stay up when the parent disconnects (CLI background mode). */
  detached: boolean;
}

import type { Router } from '@koa/router';
import type { Logger } from '../platform/logger.js';

/** Runs one service call under the server's request timeout. */
export type ServiceCall = <T>(what: string, run: () => Promise<T>) => Promise<T>;

/** What each group of admin routes needs from the server that mounts it. */
export interface RouteDeps {
  router: Router;
  call: ServiceCall;
  maxBodyBytes: number;
  log: Logger;
}

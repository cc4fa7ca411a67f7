import type { ScrubAdmin } from '../ports/scrub-admin.js';
import { notAvailable } from './error-response.js';
import type { RouteDeps } from './route-deps.js';

/** This node's scrubber (the CLI asks each node through its adminUrl). */
export function mountScrubRoutes(deps: RouteDeps, scrub: ScrubAdmin | undefined): void {
  const { router, call } = deps;
  const need = (): ScrubAdmin => {
    if (scrub === undefined) throw notAvailable('scrub', 'scrub');
    return scrub;
  };

  router.post('/admin/v1/scrub', async (ctx) => {
    const s = need();
    ctx.body = await call('scrubStart', () => s.scrubStart());
  });

  router.get('/admin/v1/scrub', async (ctx) => {
    const s = need();
    ctx.body = await call('scrubStatus', () => s.scrubStatus());
  });
}

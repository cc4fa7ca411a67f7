import type { AdminService } from '../ports/admin-service.js';
import type { MaintenanceAdmin } from '../ports/maintenance-admin.js';
import { notAvailable } from './error-response.js';
import { readJsonBody } from './read-json-body.js';
import type { RouteDeps } from './route-deps.js';
import { optionalBoolean, parseNodeId, queryBoolean } from './route-params.js';

/**
 * Membership and data movement: drain, undrain, remove, rebalance, recovery, storage. Without a
 * MaintenanceAdmin these answer 501, except DELETE /nodes/:id, which falls back to the plain
 * AdminService.removeNode (no drain check) as before maintenance existed.
 */
export function mountMaintenanceRoutes(deps: RouteDeps, service: AdminService, maintenance: MaintenanceAdmin | undefined): void {
  const { router, call, maxBodyBytes } = deps;
  const need = (): MaintenanceAdmin => {
    if (maintenance === undefined) throw notAvailable('maintenance', 'cluster maintenance (drain, rebalance, recovery, storage)');
    return maintenance;
  };

  router.post('/admin/v1/nodes/:id/drain', async (ctx) => {
    const id = parseNodeId(ctx.params.id, 'node id');
    const body = await readJsonBody(ctx.req, maxBodyBytes);
    const dryRun = optionalBoolean(body, 'dryRun', false);
    const m = need();
    ctx.body = await call('drain', () => m.drain(id, { dryRun }));
  });

  router.get('/admin/v1/nodes/:id/drain', async (ctx) => {
    const id = parseNodeId(ctx.params.id, 'node id');
    const m = need();
    ctx.body = await call('drainStatus', () => m.drainStatus(id));
  });

  router.post('/admin/v1/nodes/:id/undrain', async (ctx) => {
    const id = parseNodeId(ctx.params.id, 'node id');
    const m = need();
    ctx.body = await call('undrain', () => m.undrain(id));
  });

  router.delete('/admin/v1/nodes/:id', async (ctx) => {
    const id = parseNodeId(ctx.params.id, 'node id');
    const force = queryBoolean(ctx.query.force, 'force');
    if (maintenance === undefined) {
      await call('removeNode', () => service.removeNode(id));
    } else {
      await call('removeNode', () => maintenance.removeNode(id, { force }));
    }
    ctx.status = 204;
  });

  router.post('/admin/v1/rebalance', async (ctx) => {
    const m = need();
    ctx.body = await call('rebalance', () => m.rebalance());
  });

  router.get('/admin/v1/rebalance', async (ctx) => {
    const m = need();
    ctx.body = await call('rebalanceStatus', () => m.rebalanceStatus());
  });

  router.get('/admin/v1/recovery', async (ctx) => {
    const m = need();
    ctx.body = await call('recoveryStatus', () => m.recoveryStatus());
  });

  router.get('/admin/v1/storage', async (ctx) => {
    const m = need();
    ctx.body = await call('storageStatus', () => m.storageStatus());
  });
}

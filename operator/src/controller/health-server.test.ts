import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer } from './health-server.js';
import { OperatorMetrics } from './operator-metrics.js';

describe('HealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.stop();
  });

  it('answers /healthz always, /readyz when ready, and /metrics on its own port', async () => {
    let ready = false;
    const metrics = new OperatorMetrics();
    metrics.observeReconcile('success', 0.1);
    server = new HealthServer({ host: '127.0.0.1', healthPort: 0, metricsPort: 0, metrics, ready: () => ready });
    await server.start();
    expect((await fetch(`${server.healthUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.healthUrl}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${server.healthUrl}/readyz`)).status).toBe(200);
    const res = await fetch(`${server.metricsUrl}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('strata_operator_reconciles_total{result="success"} 1');
    expect((await fetch(`${server.metricsUrl}/other`)).status).toBe(404);
  });
});

import { describe, expect, it } from 'vitest';
import { isStrataError } from '../../platform/errors.js';
import { formatHostPort, parseHostPort } from './cluster-listener.js';
import { resolveGrpcTransportOptions } from './grpc-transport.js';

describe('resolveGrpcTransportOptions', () => {
  it('fills the defaults (seed guide [network] values included)', () => {
    const o = resolveGrpcTransportOptions({ nodeId: 3, listenAddress: '127.0.0.3:9000' });
    expect(o).toMatchObject({
      clusterId: '',
      maxMessageBytes: 64 * 2 ** 20,
      maxBatchBytes: 4 * 2 ** 20,
      snapshotChunkBytes: 2 ** 20,
      maxQueuedMessages: 10_000,
      reconnectInitialMs: 100,
      reconnectMaxMs: 5000,
      maxConnections: 5000,
      tcpNoDelay: true,
      sendBufferSize: 2 ** 20,
      receiveBufferSize: 2 ** 20,
    });
  });

  it.each([
    [{ nodeId: 0 }, /nodeId/],
    [{ listenAddress: 'localhost' }, /listenAddress 'localhost' is not host:port/],
    [{ maxConnections: -1 }, /maxConnections/],
    [{ reconnectInitialMs: 500, reconnectMaxMs: 100 }, /reconnectMaxMs/],
    [{ maxMessageBytes: 1 << 20 }, /snapshotChunkBytes/],
    [{ maxBatchBytes: 2 ** 30 }, /maxBatchBytes/],
  ])('refuses %o with InvalidConfig naming the key', (bad, message) => {
    let error: unknown;
    try {
      resolveGrpcTransportOptions({ nodeId: 1, listenAddress: '127.0.0.1:9000', ...bad });
    } catch (err) {
      error = err;
    }
    expect(isStrataError(error, 'InvalidConfig')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

describe('host:port', () => {
  it('parses IPv4, names and bracketed IPv6, and formats them back', () => {
    expect(parseHostPort('127.0.0.2:9000')).toEqual({ host: '127.0.0.2', port: 9000 });
    expect(parseHostPort('strata-node-1:9000')).toEqual({ host: 'strata-node-1', port: 9000 });
    expect(parseHostPort('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(formatHostPort({ host: '::1', port: 9000 })).toBe('[::1]:9000');
    expect(() => parseHostPort('1.2.3.4:70000')).toThrow(/not host:port/);
  });
});

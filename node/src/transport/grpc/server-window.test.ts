import { Server, ServerCredentials } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { raiseServerReceiveWindow } from './server-window.js';
import { recordingLogger } from './test-harness.js';

describe('raiseServerReceiveWindow', () => {
  it('hooks the injector http2 server of the pinned grpc-js (fails loudly if an upgrade moved it)', () => {
    const server = new Server();
    server.createConnectionInjector(ServerCredentials.createInsecure());
    const logger = recordingLogger();
    expect(raiseServerReceiveWindow(server, 1 << 20, logger)).toBe(true);
    expect(logger.lines).toEqual([]);
    server.forceShutdown();
  });

  it('says so when there is nothing to hook', () => {
    const server = new Server();
    const logger = recordingLogger();
    expect(raiseServerReceiveWindow(server, 1 << 20, logger)).toBe(false);
    expect(logger.lines[0]?.msg).toMatch(/receive_buffer_size has no effect/);
    server.forceShutdown();
  });
});

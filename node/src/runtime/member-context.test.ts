import { describe, expect, it } from 'vitest';
import { decodeMemberContext, encodeMemberContext } from './member-context.js';

describe('member context', () => {
  it('round-trips the address and the zone', () => {
    expect(decodeMemberContext(encodeMemberContext({ address: '10.0.0.4:9000', zone: 'rack-b' }))).toEqual({ address: '10.0.0.4:9000', zone: 'rack-b' });
    expect(decodeMemberContext(encodeMemberContext({ address: '10.0.0.4:9000' }))).toEqual({ address: '10.0.0.4:9000' });
  });

  it('round-trips the admin URL', () => {
    const context = { address: '10.0.0.4:9000', adminUrl: 'http://10.0.0.4:9090' };
    expect(decodeMemberContext(encodeMemberContext(context))).toEqual(context);
  });

  it('reads a bare address (the first format) and nothing at all', () => {
    expect(decodeMemberContext(new TextEncoder().encode('127.0.0.2:9000'))).toEqual({ address: '127.0.0.2:9000' });
    expect(decodeMemberContext(undefined)).toBeUndefined();
    expect(decodeMemberContext(new Uint8Array())).toBeUndefined();
  });
});

/**
 * What an addLearner membership change carries for the new member: its cluster address and its zone.
 * Encoded as JSON; a context that is a bare address (the first format) still decodes.
 */
export interface MemberContext {
  address: string;
  zone?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMemberContext(context: MemberContext): Uint8Array {
  return encoder.encode(JSON.stringify(context.zone ? context : { address: context.address }));
}

export function decodeMemberContext(data: Uint8Array | undefined): MemberContext | undefined {
  if (data === undefined || data.length === 0) return undefined;
  const text = decoder.decode(data);
  if (!text.startsWith('{')) return { address: text };
  const parsed = JSON.parse(text) as MemberContext;
  return parsed.zone ? { address: parsed.address, zone: parsed.zone } : { address: parsed.address };
}

/**
 * What an addLearner membership change carries for the new member: its cluster address, its zone and
 * its admin URL. Encoded as JSON; a context that is a bare address (the first format) still decodes.
 */
export interface MemberContext {
  address: string;
  zone?: string;
  adminUrl?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMemberContext(context: MemberContext): Uint8Array {
  return encoder.encode(JSON.stringify(compact(context)));
}

export function decodeMemberContext(data: Uint8Array | undefined): MemberContext | undefined {
  if (data === undefined || data.length === 0) return undefined;
  const text = decoder.decode(data);
  if (!text.startsWith('{')) return { address: text };
  return compact(JSON.parse(text) as MemberContext);
}

function compact(context: MemberContext): MemberContext {
  return {
    address: context.address,
    ...(context.zone ? { zone: context.zone } : {}),
    ...(context.adminUrl ? { adminUrl: context.adminUrl } : {}),
  };
}

import { describe, expect, it } from 'vitest';
import { decodeMetaCommand, encodeMetaCommand, type MetaCommand } from './commands.js';
import type { InlineLayout, ObjectManifest } from './records.js';

const manifest = (data: Uint8Array, userMetadata?: Record<string, string>): ObjectManifest => ({
  sizeBytes: data.byteLength, etag: 'e', lastModifiedMs: 1, layout: { kind: 'inline', data }, ...(userMetadata ? { userMetadata } : {}),
});

function inlineOf(command: MetaCommand): Uint8Array {
  if (command.op !== 'putObject') throw new Error(`not a putObject: ${command.op}`);
  return (command.manifest.layout as InlineLayout).data;
}

describe('metadata commands with inline bytes (decision 0022)', () => {
  it('carries inline bytes as bytes next to the JSON, and decodes them as views of the entry', () => {
    const data = Buffer.from('hello, inline world');
    const encoded = encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(data) });
    expect(encoded[0]).toBe(0x01);
    expect(Buffer.from(encoded).includes(data)).toBe(true);
    expect(Buffer.from(encoded).includes(data.toString('base64'))).toBe(false);
    // As the replica hands it over: the payload of an entry, behind the 12-byte proposal header.
    const entry = new Uint8Array(12 + encoded.byteLength);
    entry.set(encoded, 12);
    const decoded = inlineOf(decodeMetaCommand(entry.subarray(12)));
    expect(Buffer.from(decoded).equals(data)).toBe(true);
    expect(decoded.buffer).toBe(entry.buffer); // shared with the log entry, not a second copy
  });

  it('copies the bytes when the entry is a view into a bigger buffer (no big buffer kept alive)', () => {
    const encoded = encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(Buffer.from('abc')) });
    const big = new Uint8Array(encoded.byteLength + 100);
    big.set(encoded, 50);
    const decoded = inlineOf(decodeMetaCommand(big.subarray(50, 50 + encoded.byteLength)));
    expect(Buffer.from(decoded).toString()).toBe('abc');
    expect(decoded.buffer.byteLength).toBe(3);
  });

  it('round-trips every inline layout of a command, nested ones included, and empty bytes', () => {
    const command: MetaCommand = {
      op: 'putPart', bucket: 'b', key: 'k', uploadId: 'u',
      part: { partNumber: 2, etag: 'p', sizeBytes: 0, lastModifiedMs: 1, layout: { kind: 'inline', data: new Uint8Array(0) } },
    };
    expect(decodeMetaCommand(encodeMetaCommand(command))).toEqual({ ...command, part: { ...command.part, layout: { kind: 'inline', data: new Uint8Array(0) } } });
    const multipart: ObjectManifest = {
      sizeBytes: 6, etag: 'm-2', lastModifiedMs: 1,
      layout: { kind: 'multipart', parts: [1, 2].map((n) => ({ partNumber: n, sizeBytes: 3, etag: `p${n}`, layout: { kind: 'inline' as const, data: Buffer.from(`pa${n}`) } })) },
    };
    const back = decodeMetaCommand(encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: multipart }));
    const parts = back.op === 'putObject' && back.manifest.layout?.kind === 'multipart' ? back.manifest.layout.parts : [];
    expect(parts.map((p) => Buffer.from((p.layout as InlineLayout).data).toString())).toEqual(['pa1', 'pa2']);
  });

  it('gives empty inline data no tie to its entry', () => {
    const encoded = encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(new Uint8Array(0)) });
    const entry = new Uint8Array(12 + encoded.byteLength);
    entry.set(encoded, 12);
    const decoded = inlineOf(decodeMetaCommand(entry.subarray(12)));
    expect(decoded.byteLength).toBe(0);
    expect(decoded.buffer).not.toBe(entry.buffer);
  });

  it('leaves the command it encodes as it was', () => {
    const data = new Uint8Array(Buffer.from('unchanged'));
    const command: MetaCommand = { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(data, { a: '1' }) };
    const before = structuredClone(command);
    encodeMetaCommand(command);
    expect(command).toEqual(before);
    expect(command.op === 'putObject' && (command.manifest.layout as InlineLayout).data).toBe(data);
  });

  it('keeps commands without inline bytes plain JSON', () => {
    const encoded = encodeMetaCommand({ op: 'createBucket', name: 'b', createdMs: 1 });
    expect(JSON.parse(Buffer.from(encoded).toString())).toEqual({ op: 'createBucket', name: 'b', createdMs: 1 });
  });

  it('leaves user metadata that looks like a layout alone', () => {
    const userMetadata = { kind: 'inline', data: 'aGk=', layout: 'inline' };
    const back = decodeMetaCommand(encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(Buffer.from('x'), userMetadata) }));
    expect(back.op === 'putObject' && back.manifest.userMetadata).toEqual(userMetadata);
  });

  it('still reads commands written before, with base64 inline data', () => {
    const old = Buffer.from(JSON.stringify({ op: 'putObject', bucket: 'b', key: 'k', manifest: { sizeBytes: 2, etag: 'e', lastModifiedMs: 1, layout: { kind: 'inline', data: 'aGk=' } } }));
    expect(Buffer.from(inlineOf(decodeMetaCommand(old))).toString()).toBe('hi');
  });

  it('refuses damaged commands as Corruption', () => {
    const encoded = Buffer.from(encodeMetaCommand({ op: 'putObject', bucket: 'b', key: 'k', manifest: manifest(Buffer.from('abcdef')) }));
    const missingBlob = Buffer.from(JSON.stringify({ op: 'putObject', bucket: 'b', key: 'k', manifest: { sizeBytes: 1, etag: 'e', lastModifiedMs: 1, layout: { kind: 'inline', blob: 0 } } }));
    for (const damaged of [encoded.subarray(0, encoded.length - 1), encoded.subarray(0, 3), Buffer.from('{"op":'), missingBlob]) {
      expect(() => decodeMetaCommand(damaged)).toThrow(expect.objectContaining({ code: 'Corruption' }));
    }
  });
});

import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { S3Error } from './errors.js';

/**
 * XML in and out, with fast-xml-parser. Responses are plain objects whose arrays repeat their element
 * (S3's list shapes); requests are validated first (MalformedXML) and parsed with the namespace removed,
 * values kept verbatim (object keys may start or end with spaces).
 */
export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, suppressEmptyNode: false });

export type XmlValue = string | number | boolean | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** A document with one root element; undefined fields are left out, `namespace` adds S3's xmlns. */
export function xmlDocument(root: string, content: XmlObject, options: { namespace?: boolean } = {}): string {
  const body = options.namespace === false ? content : { '@_xmlns': S3_NAMESPACE, ...content };
  return DECLARATION + builder.build({ [root]: dropUndefined(body) });
}

function dropUndefined(value: XmlValue): XmlValue {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (value !== null && typeof value === 'object') {
    const out: XmlObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
    return out;
  }
  return value;
}

const parser = new XMLParser({
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignoreAttributes: true,
  htmlEntities: true,
  isArray: (name) => ['Part', 'Object'].includes(name),
});

/** Parse a request body: MalformedXML when it is not well-formed or its root is not `root`. */
export function parseXml(text: string, root: string): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw new S3Error('MalformedXML');
  const parsed = parser.parse(text) as Record<string, unknown>;
  const element = parsed[root];
  if (element === undefined) throw new S3Error('MalformedXML', `expected a <${root}> document`);
  // <Root></Root> parses as '' (or whitespace text); treat it as an empty element.
  return typeof element === 'object' && element !== null ? (element as Record<string, unknown>) : {};
}

/** The text of a child element (undefined when absent, '' when empty). */
export function textOf(element: Record<string, unknown>, name: string): string | undefined {
  const value = element[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && Object.keys(value).every((k) => k === '#text')) {
    return String((value as Record<string, unknown>)['#text'] ?? '');
  }
  throw new S3Error('MalformedXML', `<${name}> must hold text`);
}

/** Child elements that may repeat (declared in the parser's isArray list). */
export function listOf(element: Record<string, unknown>, name: string): Record<string, unknown>[] {
  const value = element[name];
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {}));
}

/** S3's timestamps in XML: ISO 8601 with milliseconds, UTC. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** ETags travel quoted in XML and headers. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

export function unquoteEtag(etag: string): string {
  const t = etag.trim().replace(/^W\//, '');
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/**
 * encoding-type=url as S3 applies it to keys and prefixes: %-encode everything but unreserved
 * characters and '/', spaces as '+' (what SDKs' url-decoding of list results expects).
 */
export function s3UrlEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~/*]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function errorXml(input: { code: string; message: string; resource: string; requestId: string; fields?: Record<string, string> }): string {
  return xmlDocument(
    'Error',
    { Code: input.code, Message: input.message, ...(input.fields ?? {}), Resource: input.resource, RequestId: input.requestId },
    { namespace: false },
  );
}

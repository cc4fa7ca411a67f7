/**
 * Splits a byte stream of newline-delimited JSON into parsed records as the lines arrive. A stream that
 * ends because `signal` aborted ends quietly (that is how a follow stops); a last line without its
 * newline is still a line.
 */
export async function* ndjsonRecords<T>(chunks: AsyncIterable<Uint8Array>, parse: (line: string) => T, signal?: AbortSignal): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const chunk of chunks) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') yield parse(line);
        newline = pending.indexOf('\n');
      }
    }
  } catch (err) {
    if (signal?.aborted === true) return;
    throw err;
  }
  pending += decoder.decode();
  if (pending.trim() !== '') yield parse(pending);
}

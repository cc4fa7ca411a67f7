/**
 * grpc-js offers no option for the HTTP/2 receive window of a *server*, and Node's default (64 KiB per
 * stream) throttles client-streaming calls, which is how all our traffic flows: measured here, a 256 MiB
 * snapshot between two processes went 100 MB/s with the default and 150-180 MB/s with a 1-4 MiB window.
 * So we reach into the pinned grpc-js (1.14.x) for its private http2 servers and raise the window of
 * every new session, the same way grpc-js does for clients with 'grpc-node.flow_control_window'.
 * If a future grpc-js changes that private field, this degrades to the default window (and logs it).
 */
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import type { Logger } from '../../platform/logger.js';

export function raiseServerReceiveWindow(server: Server, windowBytes: number, logger: Logger): boolean {
  const servers: unknown = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    logger.warn({ windowBytes }, 'cannot raise the HTTP/2 receive window on this grpc-js version: receive_buffer_size has no effect on inbound streams');
    return false;
  }
  for (const http2Server of servers.keys() as IterableIterator<Http2Server>) {
    http2Server.on('session', (session: ServerHttp2Session) => {
      try {
        session.settings({ initialWindowSize: windowBytes });
        // The connection window is shared by all streams (messages and snapshots): give it room for both.
        session.setLocalWindowSize(windowBytes * 2);
      } catch (err) {
        logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not raise an HTTP/2 receive window');
      }
    });
  }
  return true;
}

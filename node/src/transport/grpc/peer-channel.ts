import { connectivityState, type Client } from '@grpc/grpc-js';
import type { Logger } from '../../platform/logger.js';

const { CONNECTING, SHUTDOWN } = connectivityState;

/** Far above a connect between nodes (milliseconds); a false timeout costs only a new channel. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The gRPC client of one peer, replaced by a fresh one when its channel has been connecting for longer
 * than `connectTimeoutMs`. grpc-js has no connect timeout: a connect to the old address of a restarted
 * pod (gone from the network) waits for the kernel, 40-70 s in e2e, and only then resolves the name
 * again. A new channel resolves the name at once; calls waiting on the old one fail and their callers retry
 * on `current`.
 */
export class PeerChannel<C extends Client> {
  private client: C;
  private closed = false;

  constructor(
    private readonly create: () => C,
    private readonly options: { connectTimeoutMs: number; logger?: Logger; name: string },
  ) {
    this.client = create();
    this.watch(this.client);
  }

  /** The client to use for the next call (it changes after a connect timeout). */
  get current(): C {
    return this.client;
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }

  private watch(client: C): void {
    const channel = client.getChannel();
    const step = (): void => {
      if (this.closed || this.client !== client) return;
      const state = channel.getConnectivityState(false);
      if (state === SHUTDOWN) return;
      const deadline = state === CONNECTING ? Date.now() + this.options.connectTimeoutMs : Infinity;
      channel.watchConnectivityState(state, deadline, (timedOut) => {
        if (this.closed || this.client !== client) return;
        if (timedOut && channel.getConnectivityState(false) === CONNECTING) this.replace(client);
        else step();
      });
    };
    step();
  }

  private replace(stuck: C): void {
    this.options.logger?.info({ target: this.options.name, connectTimeoutMs: this.options.connectTimeoutMs }, `no connection to ${this.options.name} within the connect timeout: new channel (the name is resolved again)`);
    this.client = this.create();
    this.watch(this.client);
    stuck.close();
  }
}

/**
 * A second Strata-like process for the multi-process transport test (run with tsx): it listens on
 * argv[2], knows the parent (node 1) at argv[3], echoes every message it receives back to the parent with
 * from/to swapped (snapshots go back as snapshots), and answers joins. Prints one JSON line when ready.
 * (Test support only.)
 */
import { GrpcTransport } from './grpc-transport.js';

const [listenAddress, parentAddress, clusterId] = process.argv.slice(2);
const transport = new GrpcTransport({ nodeId: 2, listenAddress, clusterId, reconnectInitialMs: 20, reconnectMaxMs: 200 });

await transport.start({
  onMessages(messages) {
    transport.send(messages.map((m) => ({ ...m, from: m.to, to: m.from })));
  },
  onUnreachable() {},
  onSnapshotStatus(peer, ok) {
    process.stdout.write(`${JSON.stringify({ snapshotStatus: { peer, ok } })}\n`);
  },
  async onJoin(request) {
    return { clusterId, members: [{ id: 2, address: transport.address }, { id: request.nodeId, address: request.address }] };
  },
});
transport.setPeer({ id: 1, address: parentAddress });
process.stdout.write(`${JSON.stringify({ ready: transport.address, pid: process.pid })}\n`);

// Never outlive the test: the parent holds our stdin open, and its end means the parent is gone.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

process.on('SIGTERM', () => {
  void transport.stop().then(() => process.exit(0));
});

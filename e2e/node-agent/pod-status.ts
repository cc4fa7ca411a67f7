// The pod's status as kubelet reports it through pods/status (pure): phase, IPs, the four conditions and the
// container statuses. Transition times move only when a condition's status changes.

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string; containerID?: string } };

export interface ContainerView {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState: ContainerState | Record<string, never>;
  ready: boolean;
  started: boolean;
  restartCount: number;
  /** Terminated and not going to run again. */
  done: boolean;
}

export interface PodStatusInput {
  podIp?: string;
  hostIp: string;
  startTime: string;
  init: ContainerView[];
  containers: ContainerView[];
  /** The pod's current status.conditions (for transition times and PodScheduled). */
  previousConditions: { type: string; status: string; lastTransitionTime?: string; reason?: string }[];
  now: string;
}

function containerStatus(view: ContainerView): Record<string, unknown> {
  return {
    name: view.name,
    image: view.image,
    imageID: view.imageID,
    ...(view.containerID ? { containerID: view.containerID } : {}),
    state: view.state,
    lastState: view.lastState,
    ready: view.ready,
    started: view.started,
    restartCount: view.restartCount,
  };
}

function exitCode(view: ContainerView): number | undefined {
  return 'terminated' in view.state ? view.state.terminated.exitCode : undefined;
}

export function podPhase(input: Pick<PodStatusInput, 'init' | 'containers'>): string {
  const initFailed = input.init.some((c) => c.done && exitCode(c) !== 0);
  if (initFailed) return 'Failed';
  if (!input.init.every((c) => c.done)) return 'Pending';
  if (input.containers.length > 0 && input.containers.every((c) => c.done)) {
    return input.containers.every((c) => exitCode(c) === 0) ? 'Succeeded' : 'Failed';
  }
  const started = input.containers.some((c) => 'running' in c.state || c.restartCount > 0 || c.done);
  return started ? 'Running' : 'Pending';
}

export function podStatus(input: PodStatusInput): Record<string, unknown> {
  const initialized = input.init.every((c) => c.done && exitCode(c) === 0);
  const containersReady = input.containers.length > 0 && input.containers.every((c) => c.ready);
  const condition = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? 'True' : 'False';
    const previous = input.previousConditions.find((c) => c.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : input.now,
      ...(ok || !reason ? {} : { reason }),
    };
  };
  const scheduled = input.previousConditions.find((c) => c.type === 'PodScheduled') ?? {
    type: 'PodScheduled',
    status: 'True',
    lastTransitionTime: input.now,
  };
  return {
    phase: podPhase(input),
    hostIP: input.hostIp,
    hostIPs: [{ ip: input.hostIp }],
    ...(input.podIp ? { podIP: input.podIp, podIPs: [{ ip: input.podIp }] } : {}),
    startTime: input.startTime,
    conditions: [
      condition('PodReadyToStartContainers', input.podIp !== undefined),
      condition('Initialized', initialized, 'ContainersNotInitialized'),
      condition('Ready', containersReady && initialized, 'ContainersNotReady'),
      condition('ContainersReady', containersReady && initialized, 'ContainersNotReady'),
      { lastProbeTime: null, ...scheduled },
    ],
    ...(input.init.length > 0 ? { initContainerStatuses: input.init.map(containerStatus) } : {}),
    containerStatuses: input.containers.map(containerStatus),
  };
}

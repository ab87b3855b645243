// A service's state is one of a closed set, and every change of state goes through `transition`,
// which refuses the moves that make no sense (a stopped service cannot become healthy).

export const SERVICE_STATES = ['starting', 'running', 'healthy', 'unhealthy', 'backoff', 'stopping', 'stopped', 'exited', 'failed'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** States in which a process of the service is (supposed to be) alive. */
export const LIVE_STATES: readonly ServiceState[] = ['starting', 'running', 'healthy', 'unhealthy', 'stopping'];

const ALLOWED: Record<ServiceState, readonly ServiceState[]> = {
  starting: ['running', 'healthy', 'unhealthy', 'backoff', 'stopping', 'exited', 'failed', 'stopped'],
  // (a live state can go back to starting when its process was found dead and started again)
  running: ['starting', 'healthy', 'unhealthy', 'backoff', 'stopping', 'exited', 'failed', 'stopped'],
  healthy: ['starting', 'unhealthy', 'backoff', 'stopping', 'exited', 'failed', 'running', 'stopped'],
  unhealthy: ['starting', 'healthy', 'backoff', 'stopping', 'exited', 'failed', 'running', 'stopped'],
  backoff: ['starting', 'stopping', 'stopped', 'failed'],
  // (failed: a stop that had to spare the leader itself, see decide.ts onTreeStopped)
  stopping: ['stopped', 'starting', 'failed'],
  stopped: ['starting'],
  exited: ['starting', 'stopped', 'stopping'],
  failed: ['starting', 'stopped', 'stopping'],

};

export class InvalidTransitionError extends Error {
  constructor(from: ServiceState, to: ServiceState) {
    super(`a service cannot go from ${from} to ${to}`);
  }
}

/** Returns `to` if a service may move there from `from`; throws otherwise (a bug, not a user error). */
export function transition(from: ServiceState, to: ServiceState): ServiceState {
  if (from === to || ALLOWED[from].includes(to)) return to;
  throw new InvalidTransitionError(from, to);
}

export function isLive(state: ServiceState): boolean {
  return LIVE_STATES.includes(state);
}

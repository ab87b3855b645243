// What the supervisor's shell touches in the world, as small interfaces: the clock, the spawner,
// the process table, the health probe, the obstacles on a port or lock, and the store of service
// records. The real implementations below are the defaults; a test hands in fakes and drives
// crashes, backoff, hung services and adoption in milliseconds, with no real process
// (test/core/supervisor-shell.test.ts). The marker rules of decision 0009 live in the real
// process ops (stopInstanceTree, instanceTree), unchanged: the shell only calls them.
import type { Identity } from '../identity.ts';
import { isAlive, readIdentity } from '../identity.ts';
import type { Eviction } from '../evict.ts';
import { findListeners } from '../inspect/listeners.ts';
import { signalGuard } from '../protect.ts';
import type { Registry } from '../registry/registry.ts';
import { awaitSpawn } from '../spawn.ts';
import { clearTheWay, describeObstacleHolder, findObstacles, type ResolveOptions } from './conflicts.ts';
import { checkHealth, checkOwnership, type Ownership } from './health.ts';
import { type Guard, type Instance, instanceTree, stopInstanceTree, type StopOutcome } from './process-tree.ts';
import { spawnInstance } from './spawner.ts';
import type { DeclaredLock, ServiceSpec } from './spec.ts';
import { deleteService, loadService, loadServices, saveService, type ServiceRecord } from './store.ts';

/** The clock, randomness and timers the shell uses; tests hand in their own. */
export interface SupervisorClock {
  now(): number;
  random(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(timer: NodeJS.Timeout): void;
}

export const systemClock: SupervisorClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

/** A started instance's leader, as the shell sees it. */
export interface SpawnedChild {
  identity: Identity;
  /** the BERTH_INSTANCE marker every process of the instance carries */
  marker: string;
  /** called once when the leader exits */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** stop listening and let the daemon exit without it (the service keeps running) */
  release(): void;
}

export interface SpawnRequest {
  home: string;
  spec: ServiceSpec;
  env: Record<string, string>;
  port: number | null;
  restarts: number;
  /** the daemon's NOTIFY_SOCKET, given to the service (absent where the daemon has none) */
  notifySocket?: string;
  /** fds the service's leader inherits as its fds 3, 4, … (its slots' sockets), absent when none */
  inheritFds?: number[];
}

export interface Spawner {
  /** Starts one instance; rejects with CommandFailedToStartError when the command cannot start at all. */
  spawn(req: SpawnRequest): Promise<SpawnedChild>;
}

/** The process table, as the shell needs it: identities and instance trees (decision 0009). */
export interface ProcessOps {
  isAlive(identity: Identity): boolean;
  /** does any process of the instance (found deep, by its marker) still run? */
  treeAlive(instance: Instance): boolean;
  /** TERM, KILL after graceMs, to every process of the instance's own tree (guard: what a stop of an unmarked record must spare and not enter) */
  stopTree(instance: Instance, graceMs: number, guard?: Guard): Promise<StopOutcome>;
  /** resolves (bounded) once nothing listens on the port */
  waitPortFree(port: number): Promise<void>;
}

/** Strangers on a service's port or declared locks. */
export interface Obstacles {
  /** who now holds the port or a lock, as text ("port 8765 held by pid 42: …"), or null */
  blocker(port: number | null, locks: DeclaredLock[]): string | null;
  /** clears the way for a new instance (refuse, wait or evict); resolves to the strangers evicted */
  clear(opts: ResolveOptions): Promise<Eviction[]>;
}

export interface HealthProbe {
  /** the cheap check: which process of the tree holds the watched port */
  ownership(health: string | null, port: number | null, instance: Instance): Ownership;
  /** the full check (HTTP, tcp:, cmd:, or the listener) */
  probe(health: string | null, port: number | null, instance: Instance, env: NodeJS.ProcessEnv): Promise<boolean>;
}

/** Service records: where the supervisor's decisions are kept, so that a new daemon can carry on. */
export interface ServiceStore {
  load(name: string): ServiceRecord | undefined;
  loadAll(): ServiceRecord[];
  save(record: ServiceRecord, now: number): void;
  delete(name: string): void;
}

export interface SupervisorDeps {
  clock: SupervisorClock;
  spawner: Spawner;
  processes: ProcessOps;
  obstacles: Obstacles;
  health: HealthProbe;
  store: ServiceStore;
}

const PORT_FREE_WAIT_MS = 10_000;
const PORT_FREE_POLL_MS = 25;
// A service's own tree is proven by its marker; only what berth never signals at all is spared
// (pid 1, the daemon and its ancestors, other users), not berth commands the service runs.
const OWN_TREE_GUARD = signalGuard({});

export const systemSpawner: Spawner = {
  async spawn({ home, spec, env, port, restarts, notifySocket, inheritFds }) {
    const { child, marker } = spawnInstance(home, spec, env, port, restarts, notifySocket, inheritFds);
    const pid = await awaitSpawn(child, spec.argv.join(' '), spec.cwd);
    return {
      identity: readIdentity(pid) ?? { pid, startTicks: 0, bootId: '' },
      marker,
      onExit: (listener) => void child.once('exit', (code, signal) => listener(code, signal)),
      release: () => {
        child.removeAllListeners('exit');
        child.unref();
      },
    };
  },
};

export const systemProcesses: ProcessOps = {
  isAlive,
  treeAlive: (instance) => instanceTree(instance, undefined, { deep: true }).length > 0,
  stopTree: (instance, graceMs, guard) => stopInstanceTree(instance, graceMs, guard ?? OWN_TREE_GUARD),
  async waitPortFree(port) {
    // a stopped tree's sockets close a moment after it exits
    const deadline = Date.now() + PORT_FREE_WAIT_MS;
    while (findListeners({ port }).listeners.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, PORT_FREE_POLL_MS));
  },
};

export const systemObstacles: Obstacles = {
  blocker(port, locks) {
    const obstacle = findObstacles(port, locks)[0];
    return obstacle ? `${obstacle.subject} ${obstacle.kind === 'port' ? 'held' : 'locked'} by ${describeObstacleHolder(obstacle)}` : null;
  },
  clear: clearTheWay,
};

export const systemHealth: HealthProbe = { ownership: checkOwnership, probe: checkHealth };

/** The service records in berth's registry. */
export function registryStore(registry: Registry): ServiceStore {
  return {
    load: (name) => loadService(registry, name),
    loadAll: () => loadServices(registry),
    save: (record, now) => saveService(registry, record, now),
    delete: (name) => deleteService(registry, name),
  };
}

/** The real world, with any part replaced. */
export function resolveDeps(registry: Registry, given: Partial<SupervisorDeps> = {}): SupervisorDeps {
  return {
    clock: given.clock ?? systemClock,
    spawner: given.spawner ?? systemSpawner,
    processes: given.processes ?? systemProcesses,
    obstacles: given.obstacles ?? systemObstacles,
    health: given.health ?? systemHealth,
    store: given.store ?? registryStore(registry),
  };
}

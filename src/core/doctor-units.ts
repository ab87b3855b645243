// doctor's look at the OS's own services: a systemd unit whose port another process holds
// fails every start, and unless its restart never gives up, systemd stops trying after
// StartLimitBurst failures (the incident's 35 minutes of downtime). The unit is found by its
// file (a listen flag or PORT in ExecStart=/Environment=); a holder in that unit's own cgroup
// is the unit itself, not a squatter. A socket whose processes berth cannot see (another
// user's) is not called a squatter either: it may be the unit's own, run as another user.
import type { Finding } from './doctor.ts';
import type { Listener } from './inspect/listeners.ts';
import { givesUp, type UnitFile, unitLabel } from './inspect/units.ts';
import { oneLine } from './text.ts';

/** The warnings for units that would give up because a process outside them holds their port. */
export function findUnitConflicts(units: UnitFile[], listeners: Listener[]): Finding[] {
  const findings: Finding[] = [];
  for (const unit of units.filter(givesUp)) {
    for (const port of unit.ports) {
      const onPort = listeners.filter((l) => l.port === port);
      const own = (l: Listener): boolean => l.processes.some((p) => p.unit?.name === unit.name && p.unit.manager === unit.manager);
      // the unit itself listens there: it is running, whatever else shares the port
      if (onPort.some(own)) continue;
      const squatter = onPort.flatMap((l) => l.processes)[0];
      if (squatter === undefined) continue;
      const budget =
        unit.restart === 'no'
          ? 'it has Restart=no: one failed start and it stays down'
          : `systemd gives up after ${unit.startLimitBurst} failed starts in ${unit.startLimitIntervalMs / 1000}s (StartLimitBurst), and it stays down`;
      const base = unit.name.replace(/\.service$/, '');
      const held = squatter.unit ? ` (${unitLabel(squatter.unit)})` : '';
      findings.push({
        severity: 'warning',
        kind: 'unit_start_limit',
        subject: unitLabel(unit),
        message: `${unitLabel(unit)} is configured to listen on port ${port} (${unit.path}), which pid ${squatter.pid}${held} holds: ${oneLine(squatter.command)}; its start fails, and ${budget}`,
        fix: `berth free ${port}; to run it under a unit that never gives up: declare ${base} (port: ${port}, on_conflict: evict) in berth.yaml, then berth export systemd ${base}`,
      });
    }
  }
  return findings;
}

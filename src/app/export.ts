// `berth export systemd|launchd NAME…`: unit files for services declared in berth.yaml, with
// the port each has in berth (reserved, or its sticky lease).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { berthCommand } from '../core/package.ts';
import { loadProject, startOrder } from '../core/config/load.ts';
import { UsageError } from '../core/errors.ts';
import { leasePort, reservePort } from '../core/ports/ports.ts';
import { logPath } from '../core/supervisor/logs.ts';
import { launchdPlist } from '../export/launchd.ts';
import { type ExportedFile, systemdUnit } from '../export/systemd.ts';
import type { Session } from './session.ts';

export type ExportFormat = 'systemd' | 'launchd';

export interface ExportResult {
  format: ExportFormat;
  /** where the files were written, or null when they were only returned */
  dir: string | null;
  files: ExportedFile[];
}

/** The argv that runs this berth CLI, for ExecStartPre and wrappers. */
function berthArgv(): string[] {
  return berthCommand();
}

export function parseFormat(text: string): ExportFormat {
  if (text === 'systemd' || text === 'launchd') return text;
  throw new UsageError(`unknown export format ${JSON.stringify(text)}`, 'berth export systemd|launchd NAME…', 'invalid_format');
}

export function exportUnits(session: Session, dir: string, format: ExportFormat, names: string[], opts: { user: boolean; out: string | null }): ExportResult {
  const project = loadProject(dir);
  const chosen = names.length > 0 ? startOrder(project, names).filter((n) => names.includes(n)) : [...project.services.keys()];
  const registry = session.registry();
  const range = session.settings.portRange;
  const files: ExportedFile[] = [];
  for (const name of chosen) {
    const { spec, dependsOn } = project.services.get(name)!;
    const port =
      spec.port.kind === 'fixed'
        ? reservePort(registry, session.caller, name, spec.port.port).port
        : spec.port.kind === 'auto'
          ? leasePort(registry, session.caller, name, { range }).port
          : null;
    if (format === 'systemd') files.push(...systemdUnit(spec, port, { user: opts.user, berth: berthArgv(), home: session.home, dependsOn }));
    else files.push(launchdPlist(spec, port, { berth: berthArgv(), home: session.home, logPath: logPath(session.home, name) }));
  }
  const out = opts.out === null ? null : resolve(opts.out);
  if (out !== null) {
    for (const f of files) {
      const path = join(out, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
  }
  return { format, dir: out, files };
}

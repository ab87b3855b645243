// `berth export systemd|launchd NAME…`: unit files for services declared in berth.yaml, with
// the port each has in berth (reserved, or its sticky lease).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { berthCommand } from '../core/package.ts';
import { loadProject, startOrder } from '../core/config/load.ts';
import { UsageError } from '../core/errors.ts';
import { leasePort, reservePort } from '../core/ports/ports.ts';
import { joinName } from '../core/project.ts';
import { logPath } from '../core/supervisor/logs.ts';
import { launchdPlist } from '../export/launchd.ts';
import { resolveProgram } from '../export/program.ts';
import { type ExportedFile, systemdUnit } from '../export/systemd.ts';
import { currentProject } from './names.ts';
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

export async function exportUnits(session: Session, dir: string, format: ExportFormat, names: string[], opts: { user: boolean; out: string | null }): Promise<ExportResult> {
  const project = loadProject(dir);
  // the same full names (project/service) as `berth up` in this directory: the same leases and logs
  const { project: projectName } = await currentProject(session, { cwd: project.dir }, true);
  const full = (name: string): string => joinName(projectName!, name);
  const chosen = names.length > 0 ? startOrder(project, names).filter((n) => names.includes(n)) : [...project.services.keys()];
  const registry = session.registry();
  const range = session.settings.portRange;
  const files: ExportedFile[] = [];
  for (const name of chosen) {
    const declared = project.services.get(name)!;
    const named = { ...declared.spec, name: full(name) };
    // systemd and launchd need an absolute program path: the one berth would run, resolved now
    const program = resolveProgram(named.argv[0]!, named.cwd, named.env.PATH ?? session.envVar('PATH'), named.name);
    const spec = { ...named, argv: [program, ...named.argv.slice(1)] };
    const dependsOn = declared.dependsOn.map(full);
    const port =
      spec.port.kind === 'fixed'
        ? reservePort(registry, session.caller, spec.name, spec.port.port).port
        : spec.port.kind === 'auto'
          ? leasePort(registry, session.caller, spec.name, { range }).port
          : null;
    if (format === 'systemd') files.push(...systemdUnit(spec, port, { user: opts.user, berth: berthArgv(), home: session.home, dependsOn }));
    else files.push(launchdPlist(spec, port, { berth: berthArgv(), home: session.home, logPath: logPath(session.home, spec.name) }));
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

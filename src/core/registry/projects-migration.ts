// Schema 4: projects. Services recorded before projects existed have a bare name; each moves to
// a project named after its cwd's directory (the same rule, suffix included, as a new one), and
// its lease or reservation (named after the service) moves with it. Hand-made leases that name
// no service keep their bare name: no directory tells which project they were for.
import { assignProject, joinName, projectNameOf } from '../project.ts';
import type { Registry } from './registry.ts';

export function migrateToProjects(registry: Registry): void {
  registry.run(`CREATE TABLE projects (
    name       TEXT PRIMARY KEY,
    dir        TEXT NOT NULL UNIQUE,
    base       TEXT NOT NULL,
    created_at INTEGER NOT NULL
  )`);
  const rows = registry.all<{ name: string; spec: string }>("SELECT name, spec FROM services WHERE instr(name, '/') = 0");
  for (const row of rows) {
    const spec = JSON.parse(row.spec) as { name: string; cwd: string };
    const { project } = assignProject(registry, spec.cwd, projectNameOf(spec.cwd));
    const full = joinName(project, row.name);
    registry.run('UPDATE services SET name = ?, spec = ? WHERE name = ?', full, JSON.stringify({ ...spec, name: full }), row.name);
    registry.run('UPDATE ports SET name = ? WHERE name = ?', full, row.name);
  }
}

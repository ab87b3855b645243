// Config drift: a running service started by `berth up` whose berth.yaml entry has been edited
// since. `berth ps` and `doctor` say so ("config changed: berth up applies it") and `berth up`
// recreates it; comparing the recorded spec with the one the file declares now is the one rule
// for both (specChanges). The file is the one recorded with the service, read again each time.
import { basename } from 'node:path';
import { BerthError } from '../errors.ts';
import { splitName } from '../project.ts';
import { type ServiceSpec, type SpecField, specChanges } from '../supervisor/spec.ts';
import { loadProcfile, loadYaml, type Project } from './load.ts';

/**
 * For each recorded spec that a config file declared, the fields in which the file's entry
 * differs now (only services that differ are in the map). A file that is gone or no longer
 * parses, or no longer declares the service, says nothing here: `berth up` reports it.
 */
export function configDrift(recorded: ServiceSpec[]): Map<string, SpecField[]> {
  const projects = new Map<string, Project | null>();
  const drift = new Map<string, SpecField[]>();
  for (const spec of recorded) {
    const file = spec.configFile;
    if (file === undefined) continue;
    if (!projects.has(file)) projects.set(file, readProject(file));
    // the file declares the service by its name within the project; the record holds project/name
    const declared = projects.get(file)?.services.get(splitName(spec.name).service)?.spec;
    if (!declared) continue;
    const changed = specChanges(spec, declared);
    if (changed.length > 0) drift.set(spec.name, changed);
  }
  return drift;
}

function readProject(file: string): Project | null {
  try {
    return basename(file) === 'Procfile' ? loadProcfile(file) : loadYaml(file);
  } catch (err) {
    if (err instanceof BerthError) return null;
    throw err;
  }
}

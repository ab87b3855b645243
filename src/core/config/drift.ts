// Config drift: a running service started by `berth up` whose berth.yaml entry has been edited
// since. `berth ps` and `doctor` say so ("config changed: berth up applies it") and `berth up`
// recreates it; comparing the recorded spec with the one the file declares now is the one rule
// for both (specChanges). The file is the one recorded with the service, read again each time
// it is judged; `ps` keeps the judgement per file (drift-cache.ts) and judges again only when
// the file, an input it names or the recorded specs changed.
import { basename } from 'node:path';
import { BerthError } from '../errors.ts';
import { splitName } from '../project.ts';
import { type ServiceSpec, type SpecField, specChanges } from '../supervisor/spec.ts';
import { byConfigFile } from './drift-cache.ts';
import { loadProcfile, loadYaml, type Project } from './load.ts';

/** The judgement of one config file: what differs, and what else on disk it rested on. */
export interface FileJudgement {
  file: string;
  /** full service name → the fields in which the file's entry differs now (only those that differ) */
  drift: Map<string, SpecField[]>;
  /** false: the file is missing or does not load, and says nothing */
  loaded: boolean;
  /** the env_files it read (absolute) */
  envFiles: string[];
  /** the declared services' working directories, which must exist for the file to load */
  dirs: string[];
}

/**
 * Judges each config file named by the recorded specs. A file that is gone or no longer parses,
 * or no longer declares a service, says nothing about it here: `berth up` reports it.
 */
export function judgeConfigFiles(recorded: ServiceSpec[]): FileJudgement[] {
  return [...byConfigFile(recorded)].map(([file, specs]) => judgeFile(file, specs));
}

function judgeFile(file: string, specs: ServiceSpec[]): FileJudgement {
  const project = readProject(file);
  const drift = new Map<string, SpecField[]>();
  if (project === null) return { file, drift, loaded: false, envFiles: [], dirs: [] };
  for (const spec of specs) {
    // the file declares the service by its name within the project; the record holds project/name
    const declared = project.services.get(splitName(spec.name).service)?.spec;
    if (!declared) continue;
    const changed = specChanges(spec, declared);
    if (changed.length > 0) drift.set(spec.name, changed);
  }
  const declared = [...project.services.values()];
  return {
    file,
    drift,
    loaded: true,
    envFiles: [...new Set(declared.flatMap((s) => (s.envFile !== undefined ? [s.envFile] : [])))],
    dirs: [...new Set(declared.map((s) => s.spec.cwd))],
  };
}

/** For each recorded spec that a config file declared, the fields in which the file's entry differs now. */
export function configDrift(recorded: ServiceSpec[]): Map<string, SpecField[]> {
  return new Map(judgeConfigFiles(recorded).flatMap((j) => [...j.drift]));
}

function readProject(file: string): Project | null {
  try {
    return basename(file) === 'Procfile' ? loadProcfile(file) : loadYaml(file);
  } catch (err) {
    if (err instanceof BerthError) return null;
    throw err;
  }
}

// The portable inspection backend (macOS and any Unix with lsof and ps). Placeholder until its
// implementation lands: it is never chosen automatically while it throws.
import { BerthError } from '../../errors.ts';
import type { InspectBackend } from '../backend.ts';

export function createPortableBackend(): InspectBackend {
  throw new BerthError('internal', 'the portable inspection backend is not built yet');
}

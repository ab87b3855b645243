// berth schema: the JSON Schema of berth.yaml, for editors.
import type { Context } from '../context.ts';
import { berthYamlSchema } from '../../app/tools.ts';

export function run(ctx: Context): number {
  ctx.out.json(berthYamlSchema());
  return 0;
}

// berth schema: the JSON Schema of berth.yaml, for editors.
import type { Context } from '../context.ts';
import { configJsonSchema } from '../../core/config/schema.ts';

export function run(ctx: Context): number {
  ctx.out.json(configJsonSchema());
  return 0;
}

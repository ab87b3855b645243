// A tool's outputSchema, from the JSON contract (src/app/contract.ts). MCP requires an object
// schema: a document that is one object is given as is; one that may take several shapes (a
// union, e.g. daemon-status, or who's port and path answers) becomes an open object that must
// still parse as one of the contract's documents, so the SDK checks every result against it.
import { z } from 'zod';
import { CONTRACT, type ContractName } from '../app/contract.ts';

export function outputSchemaOf(...names: ContractName[]): z.ZodObject {
  const schemas = names.map((n) => CONTRACT[n] as z.ZodType);
  const [only] = schemas;
  if (schemas.length === 1 && only instanceof z.ZodObject) return only;
  const any = schemas.length === 1 ? only! : z.union(schemas as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  return z.looseObject({}).superRefine((value, ctx) => {
    const parsed = any.safeParse(value);
    if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
  }) as unknown as z.ZodObject;
}

/**
 * A whole number whose range the tool's input schema declares (JSON Schema minimum and
 * maximum: what a client shows and checks before it calls). The range is declared, not
 * enforced here: berth's own parser checks the value behind the tool, so an out-of-range one is
 * refused with the same error code as on the CLI (invalid_port, invalid_count, …), never with
 * the SDK's untyped validation error.
 */
export function wholeNumber(min: number, max: number): z.ZodNumber {
  return z.number().int().meta({ minimum: min, maximum: max });
}

/** A port: 1 to 65535 (declared as wholeNumber is). */
export function portNumber(): z.ZodNumber {
  return wholeNumber(1, 65535);
}

/** A number of seconds, at most berth's longest duration (declared as wholeNumber is). */
export function secondsNumber(min: number, maxMs: number): z.ZodNumber {
  return z.number().min(min).meta({ maximum: maxMs / 1000 });
}

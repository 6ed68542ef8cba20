/**
 * zod schemas of the small fixed-shape bodies (nodes themselves are free-form JSON, checked by
 * nodes.ts). Each schema is both the TypeScript type and the validation.
 */
import { z } from 'zod';
import { badRequest } from './errors.js';
import { MAX_PASSWORD_LENGTH, MAX_TOKEN_NAME_LENGTH, MAX_USERNAME_LENGTH } from './limits.js';
import { SiteName } from './sync.js';

export const SignInBody = z.object({
  username: z.string().min(1).max(MAX_USERNAME_LENGTH),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  expiresIn: z.union([z.string().max(100), z.number()]).optional(),
});

export const NewTokenBody = z.object({
  name: z.string().max(MAX_TOKEN_NAME_LENGTH).default(''),
  username: z.string().min(1).max(MAX_USERNAME_LENGTH).optional(),
  /** Scopes the token to one site (an agent's token). */
  site: SiteName.optional(),
});

export const SearchMongoBody = z.object({
  query: z.unknown().optional(),
  sort: z.unknown().optional(),
  limit: z.unknown().optional(),
  skip: z.unknown().optional(),
});

/** Parses `value`, turning the first zod issue into a 400 that names the field. */
export function parseBodyWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw badRequest(`${what}: ${field}${issue.message}`);
}

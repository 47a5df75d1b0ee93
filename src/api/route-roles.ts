import type { Role } from '../shared/types.js';

/**
 * Routes name the roles their guard admits as `'x-roles'` in their schema. It appears in the
 * OpenAPI document, and the function-level authorization test (D4) reads it from there, so the
 * documented roles and the enforced ones cannot drift apart unnoticed.
 */
declare module 'fastify' {
  interface FastifySchema {
    'x-roles'?: readonly Role[];
  }
}

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATALOGUE, isGatewayError } from '../shared/errors.js';

/** RFC 9457 problem details. `type` is a stable URN built from the error code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: unknown[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

function problemFor(code: keyof typeof ERROR_CATALOGUE, detail: string, status?: number): Problem {
  const entry = ERROR_CATALOGUE[code];
  return { type: `urn:privacy-gateway:error:${code}`, title: entry.title, status: status ?? entry.status, detail, code };
}

function fromFastifyError(error: FastifyError): Problem {
  if (error.validation) {
    const problem = problemFor('PGW_ERR_VALIDATION', error.message, 400);
    problem.errors = error.validation.map((v) => ({ path: v.instancePath, message: v.message }));
    return problem;
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return problemFor('PGW_ERR_PAYLOAD_TOO_LARGE', 'request body is larger than this route accepts');
  if (status === 429) return problemFor('PGW_ERR_RATE_LIMITED', 'too many requests; retry later');
  // Only JSON routes answer 415 (uploads take any media type).
  if (status === 415) return { ...problemFor('PGW_ERR_BAD_REQUEST', 'send the request body as JSON (content-type: application/json)', 415), title: 'Unsupported media type' };
  if (status >= 400 && status < 500) return problemFor('PGW_ERR_BAD_REQUEST', error.message, status);
  return problemFor('PGW_ERR_INTERNAL', 'the gateway could not complete the request', 500);
}

/** Maps any thrown value to a problem; 5xx details never leak internals. */
export function toProblem(error: unknown): Problem {
  if (isGatewayError(error)) {
    const detail = error.status >= 500 && error.code === 'PGW_ERR_INTERNAL' ? 'the gateway could not complete the request' : error.message;
    const problem = problemFor(error.code, detail);
    if (error.status < 500 && Array.isArray(error.context.errors)) problem.errors = error.context.errors;
    return problem;
  }
  if (error instanceof Error && 'statusCode' in error) return fromFastifyError(error as FastifyError);
  if (error instanceof Error && 'validation' in error) return fromFastifyError(error as FastifyError);
  return problemFor('PGW_ERR_INTERNAL', 'the gateway could not complete the request', 500);
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return reply
    .code(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...problem, instance: request.url.split('?')[0] });
}

import type { Hono } from 'hono';
import { z } from 'zod';
import { seriesQuery } from '../dashboard/mount-dashboard.ts';
import type { RouteAccess } from './api-auth.ts';
import { routeAccess } from './api-auth.ts';
import {
  agentWaitQuery,
  attemptsQuery,
  auditQuery,
  diagnosesQuery,
  probeBody,
  probeIdParams,
  probeStartQuery,
  slackCommandForm,
  targetNameSchema,
} from './api-schemas.ts';
import { sloWindowQuery } from './slo-routes.ts';

type Route = {
  method: 'get' | 'post';
  /** OpenAPI path syntax: `/v1/probes/{id}`. */
  path: string;
  summary: string;
  query?: z.ZodObject;
  params?: z.ZodObject;
  body?: z.ZodType;
  /** Default application/json. */
  bodyType?: string;
  /** Status → description; every route may also answer the error body. */
  responses: Record<string, string>;
  contentType?: string;
};

// The routes the collector serves, with the zod schemas the handlers validate with: the document
// is generated from them, so it cannot drift from what is enforced.
const ROUTES: Route[] = [
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and Redis reachability',
    responses: { 200: 'healthy', 503: 'Redis unreachable' },
  },
  { method: 'get', path: '/v1/runners', summary: 'Runners and their heartbeats', responses: { 200: 'the runners' } },
  {
    method: 'get',
    path: '/v1/targets',
    summary: 'Each (target, region, kind) series: latest outcome, last 5 minutes',
    responses: { 200: 'the series' },
  },
  {
    method: 'get',
    path: '/v1/attempts',
    summary: 'Recent attempts of a target',
    query: attemptsQuery,
    responses: { 200: 'attempt records' },
  },
  {
    method: 'get',
    path: '/v1/diagnoses',
    summary: 'Current diagnoses, or one target’s with its history',
    query: diagnosesQuery,
    responses: { 200: 'diagnoses' },
  },
  {
    method: 'get',
    path: '/v1/slo',
    summary: 'SLO reports of every target',
    query: sloWindowQuery.extend({ burndown: z.enum(['1']).optional() }),
    responses: { 200: 'SLO reports' },
  },
  {
    method: 'get',
    path: '/v1/slo/{target}',
    summary: 'One target’s SLO report with its burn-down',
    params: z.object({ target: targetNameSchema }),
    query: sloWindowQuery,
    responses: { 200: 'the SLO report', 404: 'no SLO for this target' },
  },
  {
    method: 'get',
    path: '/v1/exports/openslo.yaml',
    summary: 'The SLOs as OpenSLO v1',
    responses: { 200: 'YAML' },
    contentType: 'application/yaml',
  },
  {
    method: 'get',
    path: '/v1/exports/prometheus-rules.yaml',
    summary: 'Prometheus recording and alerting rules for the SLOs',
    responses: { 200: 'YAML' },
    contentType: 'application/yaml',
  },
  {
    method: 'get',
    path: '/v1/series',
    summary: 'Success ratio and handshake-time percentiles over time (dashboard)',
    query: seriesQuery,
    responses: { 200: 'time series' },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: { 200: 'Prometheus text format' },
    contentType: 'text/plain',
  },
  {
    method: 'post',
    path: '/v1/probes',
    summary:
      'Probe a configured target or an allowed host:port now, from every region (same allow-list, rate limits and audit as chat)',
    query: probeStartQuery,
    body: probeBody,
    responses: {
      200: 'the finished probe (with ?wait=true)',
      202: 'the probe, running; see Location',
      403: 'not allowed',
      422: 'the name does not resolve',
      429: 'rate limited; see Retry-After',
      503: 'no live runner in the regions',
    },
  },
  {
    method: 'get',
    path: '/v1/probes/{id}',
    summary: 'An on-demand probe’s report (kept a day)',
    params: probeIdParams,
    responses: { 200: 'the report', 404: 'unknown or expired' },
  },
  {
    method: 'get',
    path: '/v1/audit',
    summary: 'The audit log, newest first',
    query: auditQuery,
    responses: { 200: 'audit entries' },
  },
  {
    method: 'get',
    path: '/v1/agent/wait',
    summary: 'Host agents: long poll for a snapshot request (agent-signed)',
    query: agentWaitQuery,
    responses: { 200: 'whether a snapshot is wanted, and the watch list' },
  },
  {
    method: 'post',
    path: '/v1/agent/snapshots',
    summary: 'Host agents: a snapshot of the host (agent-signed)',
    responses: { 200: 'the watch list', 413: 'larger than 2 MiB' },
  },
  {
    method: 'post',
    path: '/slack/commands',
    summary: 'The /synack slash command (Slack-signed, application/x-www-form-urlencoded)',
    body: slackCommandForm,
    bodyType: 'application/x-www-form-urlencoded',
    responses: {
      200: 'a Slack message (the acknowledgement or the answer)',
      401: 'bad or replayed signature',
      503: 'no signing secret configured',
    },
  },
];

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', examples: ['SYNACK_ERR_BAD_REQUEST'] }, message: { type: 'string' } },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: 'query' | 'path'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function security(scope: RouteAccess): unknown[] | undefined {
  return scope === 'public' ? [] : [{ bearer: [scope] }];
}

/** The collector's OpenAPI 3.1 document, generated from the routes' own zod schemas. */
export function openApiDocument(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const access = routeAccess(route.method.toUpperCase(), route.path.replace(/\{([^}]+)\}/g, 'x'));
    const responses: Record<string, unknown> = {};
    for (const [status, description] of Object.entries(route.responses)) {
      responses[status] =
        Number(status) < 300
          ? { description, content: { [route.contentType ?? 'application/json']: {} } }
          : { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    responses['400'] ??= {
      description: 'a bad request: the message names the field',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    if (access.scope !== 'public') {
      responses['401'] = { description: 'missing or unknown token' };
      responses['403'] = { description: `the token lacks the ${access.scope} scope` };
    }
    const operation: Record<string, unknown> = {
      summary: route.summary,
      operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses,
    };
    const sec = security(access.scope);
    if (sec) operation.security = sec;
    if (access.scope !== 'public') operation['x-synack-scope'] = [access.scope, ...(access.alsoAccepted ?? [])];
    if (route.body)
      operation.requestBody = {
        required: true,
        content: { [route.bodyType ?? 'application/json']: { schema: jsonSchema(route.body) } },
      };
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'synack collector API',
      version,
      description:
        'Results, diagnoses, SLOs and on-demand probes of synack. Bearer tokens carry scopes: read, probe, admin (admin may do everything). With no token configured, read routes are open and probing is off.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A synack API token (synack token create)' },
      },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}

/** `GET /openapi.json`. */
export function mountOpenApi(app: Hono): void {
  const document = openApiDocument();
  app.get('/openapi.json', (c) => c.json(document));
}

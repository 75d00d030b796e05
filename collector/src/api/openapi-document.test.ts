import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';

// The document is plain JSON: walked here by path, as a client would.
// biome-ignore lint/suspicious/noExplicitAny: test navigation of an untyped JSON document
type Json = any;

import { openApiDocument } from './openapi-document.ts';

describe('OpenAPI document', () => {
  const document = openApiDocument();

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes the probe body from the schema the route validates with', () => {
    const post = (document.paths as Record<string, Record<string, Json>>)['/v1/probes']?.post;
    const schema = post?.requestBody.content['application/json'].schema;
    expect(schema).toMatchObject({
      type: 'object',
      required: ['target'],
      additionalProperties: false,
      properties: {
        target: { type: 'string', minLength: 1, maxLength: 300 },
        sourcePorts: { type: 'integer', minimum: 1, maximum: 64 },
      },
    });
    expect(post?.security).toEqual([{ bearer: ['probe'] }]);
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['202', '400', '401', '403', '429']));
  });

  it('gives query parameters with their constraints and marks public routes', () => {
    const paths = document.paths as Record<string, Record<string, Json>>;
    expect(paths['/v1/attempts']?.get.parameters).toEqual(
      expect.arrayContaining([
        { name: 'target', in: 'query', required: true, schema: { type: 'string', pattern: '^[a-z0-9-]{1,63}$' } },
        expect.objectContaining({ name: 'limit', in: 'query', schema: expect.objectContaining({ maximum: 1000 }) }),
      ]),
    );
    expect(paths['/healthz']?.get.security).toEqual([]);
    expect(paths['/v1/probes/{id}']?.get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
  });
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SHARED_DIR } from '../helpers/shared.js';

/** The official specs, read in place from the shared folder beside the checkout (or SHARED_DIR). */
export const SPECS_DIR = path.join(SHARED_DIR, 'specs');

const INTEGER_FORMATS = ['uint', 'uint8', 'uint16', 'uint32', 'uint64', 'usize'];

/** OpenAPI 3.0 `nullable` in JSON Schema terms, which Ajv validates: `type: [t, "null"]`, or `type: "null"` alone. */
function normalise(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalise);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = normalise(v);
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (!out.type && !out.$ref && !out.anyOf && !out.oneOf && !out.allOf) out.type = 'null';
  }
  return out;
}

export interface Violation {
  method: string;
  path: string;
  errors: string[];
}

/**
 * Checks request bodies against an official OpenAPI document, operation by operation, so a test server
 * refuses what the real server would refuse for its shape (a string point id, a misspelt field…).
 */
export class OpenApiValidator {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly spec: {
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content?: Record<string, { schema?: unknown }> };
          parameters?: { name?: string; in?: string; schema?: { type?: string } }[];
          responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
        }
      >
    >;
  };
  private readonly compiled = new Map<string, ValidateFunction | null>();
  private readonly templates: { regex: RegExp; template: string }[];

  constructor(file: string) {
    if (!existsSync(file)) {
      throw new Error(
        `official spec not found at ${file}: the tests read ../shared/specs beside the checkout (or set SHARED_DIR)`,
      );
    }
    this.spec = normalise(JSON.parse(readFileSync(file, 'utf8'))) as typeof this.spec;
    addFormats.default(this.ajv);
    for (const f of INTEGER_FORMATS)
      this.ajv.addFormat(f, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
    for (const f of ['int', 'int32', 'int64'])
      this.ajv.addFormat(f, { type: 'number', validate: (n: number) => Number.isInteger(n) });
    for (const f of ['float', 'double']) this.ajv.addFormat(f, { type: 'number', validate: () => true });
    this.ajv.addSchema(this.spec, 'spec');
    this.templates = Object.keys(this.spec.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** The spec's path template for a concrete path, if the spec has the route. */
  route(urlPath: string): string | undefined {
    const bare = urlPath.split('?')[0] ?? urlPath;
    const matches = this.templates.filter((t) => t.regex.test(bare));
    // The most literal template wins: /points/delete over /points/{id}.
    return matches.sort(
      (a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0),
    )[0]?.template;
  }

  private compile(key: string, pointer: string): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile({ $ref: pointer });
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private static pointer(template: string, ...rest: string[]): string {
    return `spec#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${rest.map((r) => r.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  }

  /** Problems with a request's query string: unknown parameters, or values outside their schema. */
  validateQuery(method: string, urlPath: string, query: URLSearchParams): string[] {
    const template = this.route(urlPath);
    const op = template ? this.spec.paths[template]?.[method.toLowerCase()] : undefined;
    if (!template || !op) return [`no such operation in the spec: ${method} ${urlPath}`];
    const params = op.parameters ?? [];
    const errors: string[] = [];
    for (const name of new Set(query.keys())) {
      const index = params.findIndex((p) => p.in === 'query' && p.name === name);
      const param = params[index];
      if (!param) {
        errors.push(`unknown query parameter "${name}"`);
        continue;
      }
      const raw = query.getAll(name);
      const type = param.schema?.type;
      const value =
        type === 'array'
          ? raw.flatMap((v) => v.split(','))
          : type === 'integer' || type === 'number'
            ? Number(raw[0])
            : type === 'boolean'
              ? raw[0] === 'true'
              : raw[0];
      const fn = this.compile(
        `${method} ${template} ?${name}`,
        OpenApiValidator.pointer(template, method.toLowerCase(), 'parameters', String(index), 'schema'),
      );
      if (!fn(value))
        errors.push(`query ${name}=${raw.join(',')}: ${(fn.errors ?? []).map((e) => e.message).join('; ')}`);
    }
    return errors;
  }

  /** Problems with a response body the spec describes for that status. */
  validateResponse(method: string, urlPath: string, status: number, body: unknown): string[] {
    const template = this.route(urlPath);
    const op = template ? this.spec.paths[template]?.[method.toLowerCase()] : undefined;
    if (!template || !op?.responses?.[String(status)]?.content?.['application/json']?.schema) return [];
    const fn = this.compile(
      `${method} ${template} =>${status}`,
      OpenApiValidator.pointer(
        template,
        method.toLowerCase(),
        'responses',
        String(status),
        'content',
        'application/json',
        'schema',
      ),
    );
    return fn(body)
      ? []
      : (fn.errors ?? []).map((e) => `response ${e.instancePath || '(body)'} ${e.message ?? ''}`);
  }

  /** The problems with a request body, or an empty list when it conforms. */
  validate(method: string, urlPath: string, body: unknown): string[] {
    const template = this.route(urlPath);
    if (!template) return [`no such route in the spec: ${method} ${urlPath}`];
    const op = this.spec.paths[template]?.[method.toLowerCase()];
    if (!op) return [`method ${method} not allowed on ${template}`];
    const key = `${method} ${template}`;
    if (!this.compiled.has(key)) {
      const hasSchema = !!op.requestBody?.content?.['application/json']?.schema;
      const pointer = `spec#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/requestBody/content/application~1json/schema`;
      this.compiled.set(key, hasSchema ? this.ajv.compile({ $ref: pointer }) : null);
    }
    const validateFn = this.compiled.get(key);
    if (!validateFn || body === undefined) return [];
    if (validateFn(body)) return [];
    return (validateFn.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''}`);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer } from './local-server.js';
import path from 'node:path';
import { OpenApiValidator, SPECS_DIR, type Violation } from './openapi-validator.js';

type Id = string | number;
type Payload = Record<string, unknown>;
interface Sparse {
  indices: number[];
  values: number[];
}
interface Point {
  id: Id;
  vector: Record<string, number[] | Sparse>;
  payload: Payload;
}
interface Collection {
  dense: Record<string, { size: number; distance: string }>;
  sparse: Record<string, { modifier?: string }>;
  metadata: Payload | null;
  payloadSchema: Record<string, unknown>;
  points: Map<string, Point>;
}
type Filter = { must?: unknown; should?: unknown; must_not?: unknown; min_should?: unknown };
interface HeldRequest {
  method: string;
  path: string;
  body: unknown;
}

class QdrantError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const asArray = <T>(v: T | T[] | undefined | null): T[] => (v == null ? [] : Array.isArray(v) ? v : [v]);
const idKey = (id: Id) => (typeof id === 'number' ? `n:${id}` : `u:${id.toLowerCase()}`);

function payloadValues(payload: Payload, key: string): unknown[] {
  let values: unknown[] = [payload];
  for (const part of key.split('.')) {
    values = values.flatMap((v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? asArray((v as Payload)[part]) : [],
    );
  }
  return values.flatMap((v) => asArray(v));
}

/** Qdrant's filter semantics: must = all, should = at least one, must_not = none; array payloads match by any element. */
function matches(point: Point, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const test = (c: Record<string, unknown>): boolean => {
    if ('must' in c || 'should' in c || 'must_not' in c) return matches(point, c);
    if ('has_id' in c) return asArray(c.has_id as Id[]).some((id) => idKey(id) === idKey(point.id));
    if ('is_empty' in c)
      return payloadValues(point.payload, (c.is_empty as { key: string }).key).length === 0;
    if ('is_null' in c)
      return payloadValues(point.payload, (c.is_null as { key: string }).key).some((v) => v === null);
    const values = payloadValues(point.payload, String(c.key));
    const match = c.match as { value?: unknown; any?: unknown[]; except?: unknown[] } | undefined;
    const range = c.range as { gt?: number; gte?: number; lt?: number; lte?: number } | undefined;
    if (match && 'value' in match) return values.some((v) => v === match.value);
    if (match?.any) return values.some((v) => match.any!.includes(v));
    if (match?.except) return values.length > 0 && values.every((v) => !match.except!.includes(v));
    if (range) {
      return values.some(
        (v) =>
          typeof v === 'number' &&
          (range.gt === undefined || v > range.gt) &&
          (range.gte === undefined || v >= range.gte) &&
          (range.lt === undefined || v < range.lt) &&
          (range.lte === undefined || v <= range.lte),
      );
    }
    throw new QdrantError(400, `Wrong input: unsupported condition ${JSON.stringify(c)}`);
  };
  const must = asArray(filter.must as Record<string, unknown>[]);
  const should = asArray(filter.should as Record<string, unknown>[]);
  const mustNot = asArray(filter.must_not as Record<string, unknown>[]);
  return must.every(test) && (!should.length || should.some(test)) && !mustNot.some(test);
}

/**
 * A Qdrant stand-in for tests: the REST routes the adapter uses, with Qdrant's semantics (filters, sparse
 * dot product with IDF, cosine, prefetch + RRF, point id rules) and response and error shapes. Every
 * request body is checked against Qdrant's official OpenAPI spec; a violation is refused with 400, as
 * Qdrant would, and recorded so the tests fail.
 */
export class QdrantTestServer extends LocalServer {
  readonly collections = new Map<string, Collection>();
  readonly violations: Violation[] = [];
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  private readonly validator = new OpenApiValidator(path.join(SPECS_DIR, 'qdrant-openapi-v1.19.0.json'));
  /** Answers every request with this status while set (an outage). */
  outage?: number;
  /** Answers the next this-many requests with 503 (a passing fault). */
  failNext = 0;
  private readonly holds: { when: (r: HeldRequest) => boolean; reached(): void; released: Promise<void> }[] =
    [];

  constructor(readonly apiKey?: string) {
    super();
  }

  private send(res: ServerResponse, status: number, result: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify(
        status < 300 ? { result, status: 'ok', time: 0.0001 } : { status: { error: result }, time: 0.0001 },
      ),
    );
  }

  protected async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      {
        this.send(res, 400, 'Format error in JSON body: not JSON');
        return;
      }
    }
    this.requests.push({ method, path: url.pathname, body });
    const hold = this.holds.find((h) => h.when({ method, path: url.pathname, body }));
    if (hold) {
      this.holds.splice(this.holds.indexOf(hold), 1);
      hold.reached();
      await hold.released;
    }
    if (this.apiKey && req.headers['api-key'] !== this.apiKey) {
      this.send(res, 401, 'Invalid api-key');
      return;
    }
    if (this.failNext > 0) {
      this.failNext--;
      this.send(res, 503, 'Service unavailable: injected fault');
      return;
    }
    if (this.outage) {
      this.send(res, this.outage, 'Service unavailable');
      return;
    }
    if (url.pathname !== '/') {
      const errors = this.validator.validate(method, url.pathname, body);
      if (errors.length) {
        this.violations.push({ method, path: url.pathname, errors });
        {
          this.send(res, 400, `Format error in JSON body: ${errors.join('; ')}`);
          return;
        }
      }
    }
    try {
      const [status, result] = this.route(method, url.pathname, body as Record<string, unknown> | undefined);
      this.send(res, status, result);
    } catch (err) {
      if (err instanceof QdrantError) {
        this.send(res, err.status, err.message);
        return;
      }
      this.send(res, 500, `Service internal error: ${(err as Error).message}`);
    }
  }

  /**
   * Holds the next request that `when` picks until `release` is called: stops a writer between two of its
   * steps, as a slow network or another instance's timing would.
   */
  holdNext(when: (request: HeldRequest) => boolean): { reached: Promise<void>; release(): void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ when, reached, released });
    return { reached: reachedP, release };
  }

  private collection(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw new QdrantError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  }

  private route(method: string, p: string, body: Record<string, unknown> = {}): [number, unknown] {
    if (p === '/' && method === 'GET')
      return [200, { title: 'qdrant - vector search engine', version: '1.19.0' }];
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(p);
    if (!m) throw new QdrantError(404, `Not found: ${p}`);
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? '';
    const key = `${method} ${rest}`;
    switch (key) {
      case 'GET /exists':
        return [200, { exists: this.collections.has(name) }];
      case 'GET ':
        return [200, this.info(name)];
      case 'PUT ':
        return [200, this.create(name, body)];
      case 'DELETE ':
        return [200, this.collections.delete(name)];
      case 'PUT /index':
        this.collection(name).payloadSchema[String(body.field_name)] = {
          data_type: body.field_schema,
          points: 0,
        };
        return [200, { operation_id: 0, status: 'completed' }];
      case 'PUT /points':
        return [200, this.upsert(this.collection(name), body)];
      case 'POST /points/delete':
        return [200, this.remove(this.collection(name), body)];
      case 'POST /points/query':
        return [200, { points: this.query(this.collection(name), body) }];
      case 'POST /points/count':
        return [200, { count: this.filtered(this.collection(name), body.filter as Filter).length }];
      case 'POST /points/scroll':
        return [200, this.scroll(this.collection(name), body)];
      case 'POST /points':
        return [200, this.retrieve(this.collection(name), body)];
      default:
        throw new QdrantError(404, `Not found: ${method} ${p}`);
    }
  }

  private info(name: string): unknown {
    const c = this.collection(name);
    return {
      status: 'green',
      optimizer_status: 'ok',
      points_count: c.points.size,
      indexed_vectors_count: c.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: c.dense,
          sparse_vectors: c.sparse,
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
        optimizer_config: {},
        wal_config: {},
        quantization_config: null,
        metadata: c.metadata,
      },
      payload_schema: c.payloadSchema,
    };
  }

  private create(name: string, body: Record<string, unknown>): boolean {
    if (this.collections.has(name))
      throw new QdrantError(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = (body.vectors ?? {}) as Record<string, unknown>;
    if ('size' in vectors)
      throw new QdrantError(400, 'Wrong input: this stand-in supports named vectors only');
    this.collections.set(name, {
      dense: vectors as Collection['dense'],
      sparse: (body.sparse_vectors ?? {}) as Collection['sparse'],
      metadata: (body.metadata as Payload | undefined) ?? null,
      payloadSchema: {},
      points: new Map(),
    });
    return true;
  }

  private upsert(c: Collection, body: Record<string, unknown>): unknown {
    const points = body.points as { id: Id; vector?: Record<string, unknown>; payload?: Payload }[];
    for (const p of points) {
      const vector = p.vector ?? {};
      for (const [name, v] of Object.entries(vector)) {
        if (c.dense[name]) {
          if (!Array.isArray(v) || v.length !== c.dense[name].size) {
            throw new QdrantError(
              400,
              `Wrong input: Vector dimension error: expected dim: ${c.dense[name].size}, got ${Array.isArray(v) ? v.length : 'none'}`,
            );
          }
        } else if (c.sparse[name]) {
          const s = v as Sparse;
          if (s.indices.length !== s.values.length || new Set(s.indices).size !== s.indices.length) {
            throw new QdrantError(400, 'Wrong input: sparse vector indices must be unique and match values');
          }
        } else throw new QdrantError(400, `Wrong input: Not existing vector name error: ${name}`);
      }
      for (const name of Object.keys(c.dense)) {
        if (!(name in vector)) throw new QdrantError(400, `Wrong input: Vector ${name} is missing`);
      }
      c.points.set(idKey(p.id), { id: p.id, vector: vector as Point['vector'], payload: p.payload ?? {} });
    }
    return { operation_id: 1, status: 'completed' };
  }

  private remove(c: Collection, body: Record<string, unknown>): unknown {
    if (Array.isArray(body.points)) for (const id of body.points as Id[]) c.points.delete(idKey(id));
    else for (const p of this.filtered(c, body.filter as Filter)) c.points.delete(idKey(p.id));
    return { operation_id: 2, status: 'completed' };
  }

  private filtered(c: Collection, filter: Filter | undefined): Point[] {
    return [...c.points.values()].filter((p) => matches(p, filter));
  }

  /** Sparse scores: dot product, each term weighted by Qdrant's IDF over the points holding that vector. */
  private sparseScores(c: Collection, name: string, q: Sparse, candidates: Point[]): Map<Point, number> {
    const all = [...c.points.values()].filter((p) => p.vector[name]);
    const n = all.length;
    const df = new Map<number, number>();
    for (const p of all) for (const i of (p.vector[name] as Sparse).indices) df.set(i, (df.get(i) ?? 0) + 1);
    const idf = (i: number) => Math.log(1 + (n - (df.get(i) ?? 0) + 0.5) / ((df.get(i) ?? 0) + 0.5));
    const useIdf = c.sparse[name]?.modifier === 'idf';
    const scores = new Map<Point, number>();
    for (const p of candidates) {
      const v = p.vector[name] as Sparse | undefined;
      if (!v) continue;
      let score = 0;
      q.indices.forEach((i, k) => {
        const at = v.indices.indexOf(i);
        if (at >= 0) score += q.values[k]! * v.values[at]! * (useIdf ? idf(i) : 1);
      });
      if (score > 0) scores.set(p, score);
    }
    return scores;
  }

  private rank(
    c: Collection,
    q: Record<string, unknown>,
    outerFilter?: Filter,
  ): { point: Point; score: number }[] {
    const filter = (q.filter as Filter | undefined) ?? outerFilter;
    const limit = Number(q.limit ?? 10);
    const query = q.query;
    const candidates = this.filtered(c, filter);
    if (
      query &&
      typeof query === 'object' &&
      !Array.isArray(query) &&
      ('fusion' in query || 'rrf' in query)
    ) {
      const lists = asArray(q.prefetch as Record<string, unknown>[]).map((pf) => this.rank(c, pf, filter));
      // `{rrf: {k}}` names the constant; `{fusion: 'rrf'}` takes Qdrant's default, 2.
      const k = (query as { rrf?: { k?: number } }).rrf?.k ?? 2;
      const fused = new Map<Point, number>();
      for (const list of lists)
        list.forEach((hit, r) => fused.set(hit.point, (fused.get(hit.point) ?? 0) + 1 / (k + r + 1)));
      return [...fused]
        .filter(([p]) => candidates.includes(p))
        .map(([point, score]) => ({ point, score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, limit);
    }
    const using = typeof q.using === 'string' ? q.using : '';
    let scored: { point: Point; score: number }[];
    if (Array.isArray(query)) {
      if (!c.dense[using])
        throw new QdrantError(400, `Wrong input: Not existing vector name error: ${using}`);
      if (query.length !== c.dense[using].size)
        throw new QdrantError(400, 'Wrong input: Vector dimension error');
      const qv = query as number[];
      const qn = Math.hypot(...qv) || 1;
      scored = candidates.map((point) => {
        const v = point.vector[using] as number[];
        const dot = v.reduce((s, x, i) => s + x * qv[i]!, 0);
        return { point, score: dot / ((Math.hypot(...v) || 1) * qn) };
      });
    } else if (query && typeof query === 'object' && 'indices' in query) {
      if (!c.sparse[using])
        throw new QdrantError(400, `Wrong input: Not existing vector name error: ${using}`);
      scored = [...this.sparseScores(c, using, query as Sparse, candidates)].map(([point, score]) => ({
        point,
        score,
      }));
    } else
      throw new QdrantError(400, 'Wrong input: this stand-in supports dense, sparse, fusion and rrf queries');
    return scored.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  private withVector(p: Point, spec: unknown): Record<string, unknown> | undefined {
    if (spec === true) return p.vector;
    if (Array.isArray(spec))
      return Object.fromEntries(Object.entries(p.vector).filter(([n]) => (spec as string[]).includes(n)));
    return undefined;
  }

  /**
   * `with_payload` as Qdrant reads it: true or absent (for the caller to default), false, a list of keys,
   * or `{include}` / `{exclude}`. Selected keys are top-level keys here, which is all the adapter uses.
   */
  private withPayload(p: Point, spec: unknown, byDefault: boolean): Payload | null {
    if (spec === undefined || spec === null) return byDefault ? p.payload : null;
    if (spec === true) return p.payload;
    if (spec === false) return null;
    const pick = (keys: string[], keep: boolean) =>
      Object.fromEntries(Object.entries(p.payload).filter(([k]) => keys.includes(k) === keep));
    if (Array.isArray(spec)) return pick(spec as string[], true);
    const selector = spec as { include?: string[]; exclude?: string[] };
    if (selector.include) return pick(selector.include, true);
    return pick(selector.exclude ?? [], false);
  }

  /** Points by id, in the order asked; ids that do not exist are left out, as Qdrant does. */
  private retrieve(c: Collection, body: Record<string, unknown>): unknown[] {
    return (body.ids as Id[]).flatMap((id) => {
      const p = c.points.get(idKey(id));
      if (!p) return [];
      return [
        {
          id: p.id,
          payload: this.withPayload(p, body.with_payload, true),
          vector: this.withVector(p, body.with_vector) ?? null,
        },
      ];
    });
  }

  private query(c: Collection, body: Record<string, unknown>): unknown[] {
    return this.rank(c, body).map(({ point, score }) => ({
      id: point.id,
      version: 1,
      score,
      payload: this.withPayload(point, body.with_payload, false),
      vector: this.withVector(point, body.with_vector) ?? null,
    }));
  }

  private scroll(c: Collection, body: Record<string, unknown>): unknown {
    const limit = Number(body.limit ?? 10);
    const sorted = this.filtered(c, body.filter as Filter).sort((a, b) =>
      idKey(a.id).localeCompare(idKey(b.id)),
    );
    const start =
      body.offset === undefined || body.offset === null
        ? 0
        : sorted.findIndex((p) => idKey(p.id) >= idKey(body.offset as Id));
    const page = start < 0 ? [] : sorted.slice(start, start + limit);
    const next = start >= 0 ? sorted[start + limit] : undefined;
    return {
      points: page.map((p) => ({
        id: p.id,
        payload: this.withPayload(p, body.with_payload, true),
        vector: this.withVector(p, body.with_vector) ?? null,
      })),
      next_page_offset: next ? next.id : null,
    };
  }
}

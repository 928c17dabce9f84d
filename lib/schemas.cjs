'use strict';
// The 22 schema objects, zod-compatible: parse, safeParse and their async
// twins, and the derivations users call (shape, pick, omit, partial,
// required, extend, merge, optional, array). A schema object only records
// which export it derives from and how (a descriptor); validation and what
// each derivation means are native. The output is built here from the
// caller's own values, so "any"-typed values keep their identity.

const { native } = require('./native.cjs');
const { fromNative } = require('./errors.cjs');

const { names, tag } = native.schemaCatalog();

// JSON keeps no undefined, NaN, Infinity, functions, symbols or bigints: tag them so the rules can tell.
function tagged(value) {
  return JSON.stringify(value, (_key, v) => {
    switch (typeof v) {
      case 'undefined':
      case 'function':
      case 'symbol':
      case 'bigint':
        return { [tag]: typeof v };
      case 'number':
        if (Number.isNaN(v)) return { [tag]: 'nan' };
        return Number.isFinite(v) ? v : { [tag]: v > 0 ? 'inf' : '-inf' };
      case 'object':
        // The caller's own object with the tag key must not pass for a tag.
        return v !== null && Object.hasOwn(v, tag) ? { [tag]: 'reserved' } : v;
      default:
        return v;
    }
  });
}

// Ids of a caller's own validators (zod schemas given to extend) in
// descriptors; each schema keeps the validators its descriptor names, so they
// live as long as the schemas that use them.
let nextExternalId = 0;

/** A validator's answer as zod's safeParse gives it; anything else is a failure, never a silent pass. */
function externalResult(result) {
  if (result?.success === true) return { ok: true, data: result.data };
  const issues = Array.isArray(result?.error?.issues) && result.error.issues.length > 0
    ? result.error.issues
    : [{ code: 'custom', path: [], message: 'the validator given to extend() failed without zod issues' }];
  return { ok: false, issues };
}
function runExternal(validator, value) {
  try {
    const result = validator.safeParse(value);
    if (typeof result?.then === 'function') {
      return { ok: false, issues: [{ code: 'custom', path: [], message: 'this validator is asynchronous: use parseAsync or safeParseAsync' }] };
    }
    return externalResult(result);
  } catch (err) {
    return { ok: false, issues: [{ code: 'custom', path: [], message: `the validator given to extend() threw: ${err?.message ?? err}` }] };
  }
}
async function runExternalAsync(validator, value) {
  try {
    return externalResult(await (typeof validator.safeParseAsync === 'function' ? validator.safeParseAsync(value) : validator.safeParse(value)));
  } catch (err) {
    return { ok: false, issues: [{ code: 'custom', path: [], message: `the validator given to extend() threw: ${err?.message ?? err}` }] };
  }
}

/** Every `external` position of a plan with its input value, in walk order. */
function externalsOf(plan, input, found = []) {
  if (plan.t === 'object') for (const [key, p] of plan.keys) externalsOf(p, input?.[key], found);
  else if (plan.t === 'array') plan.items.forEach((p, i) => externalsOf(p, input?.[i], found));
  else if (plan.t === 'external') found.push({ id: plan.id, value: input });
  return found;
}

/**
 * The validated output: the plan's shape, filled with the input's own
 * values; `external` positions take the next of `answers` (in walk order),
 * whose issues join `issues` under their path.
 */
function materialize(plan, input, path, issues, answers) {
  switch (plan.t) {
    case 'object': {
      const out = {};
      for (const [key, p] of plan.keys) {
        const value = materialize(p, input?.[key], [...path, key], issues, answers);
        // defineProperty: a key named __proto__ is data, never the prototype.
        if (value !== undefined || (input != null && Object.hasOwn(input, key))) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return plan.items.map((p, i) => materialize(p, input[i], [...path, i], issues, answers));
    case 'external': {
      const answer = answers.shift();
      if (answer.ok) return answer.data;
      for (const issue of answer.issues) issues.push({ ...issue, path: [...path, ...(Array.isArray(issue.path) ? issue.path : [])] });
      return undefined;
    }
    default:
      return input;
  }
}

/** Shaped like a ZodError: `name`, `issues: {code, path, message}[]`. */
class SchemaValidationError extends Error {
  constructor(issues) {
    super(JSON.stringify(issues, null, 2));
    this.name = 'ZodError';
    this.issues = issues;
  }
  get errors() {
    return this.issues;
  }
  format() {
    return { _errors: this.issues.map((i) => i.message) };
  }
}

const isSchemaLike = (v) => v != null && typeof v.safeParse === 'function';

/** `{a: true, b: true}` (zod's mask) as the keys set to true. */
function maskKeys(mask, method) {
  if (mask === null || typeof mask !== 'object' || Array.isArray(mask)) throw new TypeError(`${method}() takes an object of keys set to true, such as { name: true }`);
  return Object.keys(mask).filter((k) => mask[k] === true);
}

class Schema {
  #descriptor;
  #keys;
  #shape;
  /** id → the caller's validator, for every external id in the descriptor. */
  #externals;
  constructor(descriptor, externals = new Map()) {
    let keys;
    try {
      keys = native.describeSchema(descriptor);
    } catch (err) {
      throw fromNative(err);
    }
    this.#descriptor = descriptor;
    this.#keys = keys;
    this.#externals = externals;
  }
  #derive(op, externals = this.#externals) {
    return new Schema({ ...this.#descriptor, ops: [...this.#descriptor.ops, op] }, externals);
  }
  #settle(input, plan, nativeIssues, answers) {
    const issues = [...nativeIssues];
    const data = materialize(plan, input, [], issues, answers);
    return issues.length === 0 ? { success: true, data } : { success: false, error: new SchemaValidationError(issues) };
  }
  safeParse(input) {
    const { plan, issues } = native.validateSchema(this.#descriptor, tagged(input));
    // Most schemas hold no caller validators: no second walk for them.
    const answers = this.#externals.size === 0 ? [] : externalsOf(plan, input).map(({ id, value }) => runExternal(this.#externals.get(id), value));
    return this.#settle(input, plan, issues, answers);
  }
  parse(input) {
    const result = this.safeParse(input);
    if (!result.success) throw result.error;
    return result.data;
  }
  /** As safeParse, with the caller's validators run asynchronously (zod's async refinements and transforms). */
  async safeParseAsync(input) {
    const { plan, issues } = native.validateSchema(this.#descriptor, tagged(input));
    const answers = this.#externals.size === 0 ? [] : await Promise.all(externalsOf(plan, input).map(({ id, value }) => runExternalAsync(this.#externals.get(id), value)));
    return this.#settle(input, plan, issues, answers);
  }
  async parseAsync(input) {
    const result = await this.safeParseAsync(input);
    if (!result.success) throw result.error;
    return result.data;
  }
  /** An object schema's keys, each as a schema (optional keys as optional schemas); undefined for other schemas. */
  get shape() {
    if (!this.#keys) return undefined;
    this.#shape ??= Object.freeze(Object.fromEntries(this.#keys.map((key) => [key, this.#derive({ op: 'field', key })])));
    return this.#shape;
  }
  pick(mask) {
    return this.#derive({ op: 'pick', keys: maskKeys(mask, 'pick') });
  }
  omit(mask) {
    return this.#derive({ op: 'omit', keys: maskKeys(mask, 'omit') });
  }
  partial(mask) {
    return this.#derive({ op: 'partial', keys: mask === undefined ? null : maskKeys(mask, 'partial') });
  }
  required(mask) {
    return this.#derive({ op: 'required', keys: mask === undefined ? null : maskKeys(mask, 'required') });
  }
  /** New keys, or replaced ones: each a schema of this package or any zod-like schema (anything with safeParse). */
  extend(shape) {
    if (shape === null || typeof shape !== 'object') throw new TypeError('extend() takes an object of schemas, such as { owner: z.string() }');
    const externals = new Map(this.#externals);
    const fields = Object.entries(shape).map(([key, value]) => {
      if (value instanceof Schema) {
        for (const [id, validator] of value.#externals) externals.set(id, validator);
        return [key, value.#descriptor];
      }
      if (isSchemaLike(value)) {
        const id = nextExternalId++;
        externals.set(id, value);
        return [key, { external: id }];
      }
      throw new TypeError(`extend(): "${key}" is not a schema (it needs a safeParse method)`);
    });
    return this.#derive({ op: 'extend', fields }, externals);
  }
  /** zod's merge: `extend(other.shape)`. */
  merge(other) {
    if (!(other instanceof Schema) || !other.#keys) throw new TypeError('merge() takes an object schema of this package');
    return this.extend(other.shape);
  }
  optional() {
    return this.#derive({ op: 'optional' });
  }
  array() {
    return this.#derive({ op: 'array' });
  }
}

module.exports = { ...Object.fromEntries(names.map((name) => [name, new Schema({ base: name, ops: [] })])), SchemaValidationError };

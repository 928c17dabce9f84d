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
      default:
        return v;
    }
  });
}

// A caller's own validators (zod schemas given to extend), by the id their
// descriptors carry. They live as long as the schemas built from them, which
// programs build once, at load.
const externals = [];
function externalId(validator) {
  const known = externals.indexOf(validator);
  return known >= 0 ? known : externals.push(validator) - 1;
}

/**
 * The validated output: the plan's shape, filled with the input's own
 * values; `external` positions are given to the caller's validator, whose
 * issues join `issues` under their path.
 */
function materialize(plan, input, path, issues) {
  switch (plan.t) {
    case 'object': {
      const out = {};
      for (const [key, p] of plan.keys) {
        const value = materialize(p, input?.[key], [...path, key], issues);
        if (value !== undefined || (input != null && Object.hasOwn(input, key))) out[key] = value;
      }
      return out;
    }
    case 'array':
      return plan.items.map((p, i) => materialize(p, input[i], [...path, i], issues));
    case 'external': {
      const result = externals[plan.id].safeParse(input);
      if (result.success) return result.data;
      for (const issue of result.error?.issues ?? []) issues.push({ ...issue, path: [...path, ...(issue.path ?? [])] });
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
  constructor(descriptor) {
    let keys;
    try {
      keys = native.describeSchema(descriptor);
    } catch (err) {
      throw fromNative(err);
    }
    this.#descriptor = descriptor;
    this.#keys = keys;
  }
  #derive(op) {
    return new Schema({ ...this.#descriptor, ops: [...this.#descriptor.ops, op] });
  }
  safeParse(input) {
    const result = native.validateSchema(this.#descriptor, tagged(input));
    const issues = [...result.issues];
    const data = materialize(result.plan, input, [], issues);
    return issues.length === 0 ? { success: true, data } : { success: false, error: new SchemaValidationError(issues) };
  }
  parse(input) {
    const result = this.safeParse(input);
    if (!result.success) throw result.error;
    return result.data;
  }
  async safeParseAsync(input) {
    return this.safeParse(input);
  }
  async parseAsync(input) {
    return this.parse(input);
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
    const fields = Object.entries(shape).map(([key, value]) => {
      if (value instanceof Schema) return [key, value.#descriptor];
      if (isSchemaLike(value)) return [key, { external: externalId(value) }];
      throw new TypeError(`extend(): "${key}" is not a schema (it needs a safeParse method)`);
    });
    return this.#derive({ op: 'extend', fields });
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

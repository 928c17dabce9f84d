'use strict';
// The 22 schema objects, zod-compatible (parse, safeParse and async twins).
// Validation runs in Rust; the output is built here from the caller's own
// values, so "any"-typed values keep their identity.

const { native } = require('./native.cjs');

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

/** The validated output: the plan's shape, filled with the input's own values. */
function materialize(plan, input) {
  if (plan.t === 'object') return Object.fromEntries(plan.keys.map(([key, p]) => [key, materialize(p, input[key])]));
  if (plan.t === 'array') return plan.items.map((p, i) => materialize(p, input[i]));
  return input;
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

class Schema {
  constructor(name) {
    this.name = name;
  }
  safeParse(input) {
    const result = native.validateSchema(this.name, tagged(input));
    return result.success ? { success: true, data: materialize(result.plan, input) } : { success: false, error: new SchemaValidationError(result.issues) };
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
}

module.exports = { ...Object.fromEntries(names.map((name) => [name, new Schema(name)])), SchemaValidationError };

'use strict';
// The 22 schema objects, zod-compatible (parse, safeParse and async twins).
// Validation runs in Rust; the output is built here from the caller's own
// values, so "any"-typed values keep their identity.

const { native } = require('./native.cjs');

const TAG = '\u0000js';

// JSON keeps no undefined, NaN or Infinity: tag them so the rules can tell.
function tagged(value) {
  return JSON.stringify(value, (_key, v) => {
    switch (typeof v) {
      case 'undefined':
        return { [TAG]: 'undefined' };
      case 'number':
        if (Number.isNaN(v)) return { [TAG]: 'nan' };
        if (!Number.isFinite(v)) return { [TAG]: v > 0 ? 'inf' : '-inf' };
        return v;
      case 'function':
      case 'symbol':
      case 'bigint':
        return { [TAG]: typeof v };
      default:
        return v;
    }
  });
}

function materialize(plan, input) {
  switch (plan.t) {
    case 'object': {
      const out = {};
      for (const [key, p] of plan.keys) out[key] = materialize(p, input[key]);
      return out;
    }
    case 'array':
      return plan.items.map((p, i) => materialize(p, input[i]));
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

class Schema {
  constructor(name) {
    this.name = name;
  }
  safeParse(input) {
    const result = native.validateSchema(this.name, tagged(input));
    if (result.success) return { success: true, data: materialize(result.plan, input) };
    return { success: false, error: new SchemaValidationError(result.issues) };
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

const NAMES = [
  'podMetadataSchema',
  'podTemplateSchema',
  'embeddedObjectMetadataSchema',
  'persistentVolumeClaimTemplateSchema',
  'shutdownPolicySchema',
  'sandboxSpecSchema',
  'sandboxStatusSchema',
  'sandboxSchema',
  'networkPolicySpecSchema',
  'networkPolicyManagementSchema',
  'sandboxTemplateSpecSchema',
  'sandboxTemplateStatusSchema',
  'sandboxTemplateSchema',
  'sandboxTemplateRefSchema',
  'lifecycleSchema',
  'claimSandboxStatusSchema',
  'sandboxClaimSpecSchema',
  'sandboxClaimStatusSchema',
  'sandboxClaimSchema',
  'sandboxWarmPoolSpecSchema',
  'sandboxWarmPoolStatusSchema',
  'sandboxWarmPoolSchema',
];

module.exports = Object.fromEntries(NAMES.map((name) => [name, new Schema(name)]));
module.exports.SchemaValidationError = SchemaValidationError;

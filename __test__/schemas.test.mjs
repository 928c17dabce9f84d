import { assert, describe, it } from './helpers/harness.mjs';
import * as sdk from '../index.js';

const ok = (schema, value) => assert.equal(sdk[schema].safeParse(value).success, true, `${schema} should accept ${JSON.stringify(value)}`);
const bad = (schema, value) => assert.equal(sdk[schema].safeParse(value).success, false, `${schema} should reject ${JSON.stringify(value)}`);

const podTemplate = { metadata: {}, spec: { containers: [{ name: 'sandbox' }] } };
const sandbox = { apiVersion: 'agents.x-k8s.io/v1alpha1', kind: 'Sandbox', metadata: { name: 's' }, spec: { podTemplate } };

describe('schemas', () => {
  it('strip unknown keys at every level and return new objects', () => {
    const input = { ...sandbox, extra: 1, metadata: { name: 's', uid: 'u', resourceVersion: '9', labels: { a: 'b' } } };
    const { data } = sdk.sandboxSchema.safeParse(input);
    assert.deepEqual(data, { ...sandbox, metadata: { name: 's', labels: { a: 'b' } } });
    assert.notEqual(data, input);
    assert.equal(data.status, undefined);
    assert.equal('status' in data, false);
  });

  it('keep the identity of values typed any', () => {
    const spec = { containers: [] };
    const out = sdk.podTemplateSchema.parse({ metadata: {}, spec });
    assert.equal(out.spec, spec);
  });

  it('parse throws what safeParse returns, shaped like a ZodError', () => {
    const r = sdk.sandboxSchema.safeParse({ ...sandbox, kind: 'Pod' });
    assert.equal(r.success, false);
    assert.equal(r.error.name, 'ZodError');
    assert.deepEqual(r.error.issues[0].path, ['kind']);
    assert.throws(() => sdk.sandboxSchema.parse({ ...sandbox, kind: 'Pod' }), (e) => e.name === 'ZodError');
  });

  it('follow the value rules', () => {
    ok('sandboxSpecSchema', { podTemplate, replicas: 0 });
    ok('sandboxSpecSchema', { podTemplate, replicas: 1 });
    bad('sandboxSpecSchema', { podTemplate, replicas: 2 });
    bad('sandboxSpecSchema', { podTemplate, replicas: -1 });
    bad('sandboxSpecSchema', { podTemplate, replicas: 0.5 });
    ok('sandboxSpecSchema', { podTemplate, shutdownTime: undefined });
    bad('sandboxSpecSchema', { podTemplate, shutdownTime: null });
    bad('sandboxWarmPoolStatusSchema', { replicas: Number.NaN });
    bad('sandboxWarmPoolStatusSchema', { replicas: Number.POSITIVE_INFINITY });
    bad('sandboxWarmPoolStatusSchema', { replicas: '3' });
    bad('podMetadataSchema', { labels: { a: 1 } });
    ok('podMetadataSchema', { labels: { a: 'b' } });
  });

  it('accept and reject what the original did', () => {
    bad('podTemplateSchema', { spec: {} });
    bad('persistentVolumeClaimTemplateSchema', { spec: {} });
    ok('persistentVolumeClaimTemplateSchema', { metadata: { name: 'w' }, spec: {} });
    ok('shutdownPolicySchema', 'Retain');
    bad('shutdownPolicySchema', 'Destroy');
    bad('sandboxStatusSchema', {});
    ok('sandboxStatusSchema', { replicas: 1, conditions: [{ type: 'Ready', status: 'True' }] });
    ok('sandboxStatusSchema', { replicas: 0, conditions: [{ type: 'Ready', status: 'False', reason: 'SandboxExpired' }] });
    bad('sandboxSchema', { ...sandbox, metadata: {} });
    bad('sandboxSchema', { kind: 'Sandbox', metadata: { name: 's' }, spec: { podTemplate } });
    ok('networkPolicyManagementSchema', 'Unmanaged');
    bad('networkPolicyManagementSchema', 'managed');
    bad('networkPolicyManagementSchema', 'Disabled');
    bad('sandboxTemplateSpecSchema', {});
    bad('sandboxTemplateSpecSchema', { podTemplate, networkPolicyManagement: 'Off' });
    assert.deepEqual(sdk.sandboxTemplateStatusSchema.parse({ anything: 1 }), {});
    bad('sandboxTemplateStatusSchema', 'x');
    ok('sandboxTemplateSchema', { apiVersion: 'agents.x-k8s.io/v1alpha1', kind: 'SandboxTemplate', metadata: { name: 't' }, spec: { podTemplate } });
    bad('sandboxTemplateSchema', { apiVersion: 'v', kind: 'Sandbox', metadata: { name: 't' }, spec: { podTemplate } });
    assert.deepEqual(sdk.sandboxTemplateRefSchema.parse({ name: 'tpl', namespace: 'x' }), { name: 'tpl' });
    bad('sandboxTemplateRefSchema', {});
    ok('lifecycleSchema', {});
    bad('lifecycleSchema', { shutdownPolicy: 'Destroy' });
    ok('claimSandboxStatusSchema', {});
    ok('claimSandboxStatusSchema', { Name: 'x' });
    bad('sandboxClaimSpecSchema', {});
    ok('sandboxClaimStatusSchema', { conditions: [], sandbox: { Name: 'x' } });
    bad('sandboxClaimSchema', { apiVersion: 'v', kind: 'X', metadata: { name: 'c' }, spec: { sandboxTemplateRef: { name: 't' } } });
    ok('sandboxWarmPoolSpecSchema', { replicas: 0, sandboxTemplateRef: { name: 't' } });
    bad('sandboxWarmPoolSpecSchema', { replicas: -1, sandboxTemplateRef: { name: 't' } });
    bad('sandboxWarmPoolSpecSchema', { replicas: 1.5, sandboxTemplateRef: { name: 't' } });
    bad('sandboxWarmPoolSpecSchema', { replicas: 1 });
    bad('sandboxWarmPoolSpecSchema', { replicas: 1, sandboxTemplateRef: {} });
    bad('sandboxWarmPoolSchema', { apiVersion: 'v', kind: 'Sandbox', metadata: { name: 'p' }, spec: { replicas: 1, sandboxTemplateRef: { name: 't' } } });
    ok('networkPolicySpecSchema', { ingress: [], egress: [{}] });
    ok('embeddedObjectMetadataSchema', { name: 'x' });
  });
});

// The original's schemas, written in zod 4 from the contract's table (§12):
// the reference each derivation of ours is compared with, input by input.
const z = (await import('zod')).z;
const zShutdownPolicy = z.enum(['Delete', 'Retain']);
const zPodMetadata = z.object({ labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() });
const zPodTemplate = z.object({ spec: z.any(), metadata: zPodMetadata });
const zEmbedded = z.object({ name: z.string().optional(), labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() });
const zPvc = z.object({ metadata: zEmbedded, spec: z.any() });
const zSandboxSpec = z.object({
  podTemplate: zPodTemplate,
  volumeClaimTemplates: z.array(zPvc).optional(),
  shutdownTime: z.string().optional(),
  shutdownPolicy: zShutdownPolicy.optional(),
  replicas: z.number().int().min(0).max(1).optional(),
});
const zTemplateRef = z.object({ name: z.string() });
const zLifecycle = z.object({ shutdownTime: z.string().optional(), shutdownPolicy: zShutdownPolicy.optional() });
const zPoolSpec = z.object({ replicas: z.number().int().min(0), sandboxTemplateRef: zTemplateRef });

const INPUTS = [
  undefined, null, 0, 1, 2, -1, 0.5, NaN, 'x', 'Delete', 'Destroy', [], ['Delete'], ['Delete', 'x'], {},
  { name: 't' }, { name: 1 }, { name: 't', namespace: 'n', owner: 'me' }, { name: 't', owner: 5 },
  { shutdownPolicy: 'Retain' }, { shutdownPolicy: 'Destroy' }, { shutdownTime: null }, { shutdownTime: undefined, x: 1 },
  { replicas: 1 }, { replicas: 3 }, { replicas: 0, sandboxTemplateRef: { name: 'p' } }, { replicas: -1, sandboxTemplateRef: {} },
  { podTemplate: podTemplate, replicas: 1 }, { podTemplate: { metadata: { labels: { a: 1 } } } }, { podTemplate, volumeClaimTemplates: [{ metadata: {} }] },
  { podTemplate, shutdownPolicy: 'Delete', extra: true, owner: 'me' },
];

/** Ours and zod's agree on success and data for every input. */
function sameAsZod(ours, theirs, label) {
  for (const input of INPUTS) {
    const a = ours.safeParse(input);
    const b = theirs.safeParse(input);
    assert.equal(a.success, b.success, `${label}: success for ${JSON.stringify(input)}: ours ${a.success}, zod ${b.success}`);
    if (b.success) assert.deepEqual(a.data, b.data, `${label}: data for ${JSON.stringify(input)}`);
    else assert.ok(a.error.issues.length > 0 && a.error.issues.every((i) => Array.isArray(i.path) && typeof i.message === 'string'));
  }
}

describe('schema derivations behave as zod 4 (compared input by input)', () => {
  it('the exports themselves', () => {
    sameAsZod(sdk.sandboxSpecSchema, zSandboxSpec, 'sandboxSpec');
    sameAsZod(sdk.lifecycleSchema, zLifecycle, 'lifecycle');
    sameAsZod(sdk.shutdownPolicySchema, zShutdownPolicy, 'shutdownPolicy');
  });

  it('pick, omit, partial (all keys or a mask), required', () => {
    sameAsZod(sdk.sandboxSpecSchema.pick({ replicas: true, shutdownPolicy: true }), zSandboxSpec.pick({ replicas: true, shutdownPolicy: true }), 'pick');
    sameAsZod(sdk.sandboxSpecSchema.omit({ podTemplate: true }), zSandboxSpec.omit({ podTemplate: true }), 'omit');
    sameAsZod(sdk.sandboxWarmPoolSpecSchema.pick({ replicas: true, sandboxTemplateRef: true }).partial(), zPoolSpec.partial(), 'partial');
    sameAsZod(sdk.sandboxWarmPoolSpecSchema.pick({ replicas: true, sandboxTemplateRef: true }).partial({ replicas: true }), zPoolSpec.partial({ replicas: true }), 'partial mask');
    sameAsZod(sdk.lifecycleSchema.required(), zLifecycle.required(), 'required');
  });

  it('extend with our schemas and with zod schemas; merge', () => {
    sameAsZod(
      sdk.sandboxTemplateRefSchema.extend({ owner: z.string(), policy: sdk.shutdownPolicySchema.optional() }),
      zTemplateRef.extend({ owner: z.string(), policy: zShutdownPolicy.optional() }),
      'extend',
    );
    sameAsZod(sdk.sandboxTemplateRefSchema.extend({ owner: z.string().optional() }), zTemplateRef.extend({ owner: z.string().optional() }), 'extend optional zod');
    sameAsZod(sdk.sandboxTemplateRefSchema.merge(sdk.lifecycleSchema), zTemplateRef.extend(zLifecycle.shape), 'merge');
    const r = sdk.sandboxTemplateRefSchema.extend({ owner: z.string() }).safeParse({ name: 1, owner: 2 });
    assert.deepEqual(r.error.issues.map((i) => i.path), [['name'], ['owner']], 'every issue, ours and the zod schema\'s, with full paths');
  });

  it('shape, optional, array', () => {
    assert.deepEqual(Object.keys(sdk.sandboxSpecSchema.shape), Object.keys(zSandboxSpec.shape));
    assert.equal(sdk.sandboxSpecSchema.shape.replicas, sdk.sandboxSpecSchema.shape.replicas, 'shape is stable, as in zod');
    for (const key of Object.keys(zSandboxSpec.shape)) sameAsZod(sdk.sandboxSpecSchema.shape[key], zSandboxSpec.shape[key], `shape.${key}`);
    assert.equal(sdk.shutdownPolicySchema.shape, undefined);
    sameAsZod(sdk.lifecycleSchema.optional(), zLifecycle.optional(), 'optional');
    sameAsZod(sdk.shutdownPolicySchema.array(), zShutdownPolicy.array(), 'array');
    sameAsZod(sdk.sandboxTemplateRefSchema.array().optional(), zTemplateRef.array().optional(), 'array optional');
  });

  it('partial and required over zod fields and any-typed keys, as zod', () => {
    const ours = sdk.sandboxTemplateRefSchema.extend({ owner: z.string() });
    const theirs = zTemplateRef.extend({ owner: z.string() });
    sameAsZod(ours.partial(), theirs.partial(), 'partial over a zod field');
    sameAsZod(ours.partial().shape.owner, theirs.partial().shape.owner, 'shape of a partial zod field');
    const optionalOwner = sdk.sandboxTemplateRefSchema.extend({ owner: z.string().optional() });
    sameAsZod(optionalOwner.required(), zTemplateRef.extend({ owner: z.string().optional() }).required(), 'required over an optional zod field');
    sameAsZod(sdk.podTemplateSchema.required(), zPodTemplate.required(), 'required over an any-typed key');
  });

  it('a validator given to extend is never trusted blindly; async ones run on the async path', async () => {
    const failsOddly = { safeParse: () => ({ success: false }) };
    const throws = { safeParse: () => { throw new Error('boom'); } };
    const promise = { safeParse: async () => ({ success: true, data: 1 }) };
    for (const [label, validator] of [['no issues', failsOddly], ['throws', throws], ['returns a promise', promise]]) {
      const r = sdk.sandboxTemplateRefSchema.extend({ x: validator }).safeParse({ name: 't', x: 1 });
      assert.equal(r.success, false, label);
      assert.deepEqual(r.error.issues.map((i) => i.path), [['x']], label);
    }
    const slow = z.string().refine(async (v) => v === 'ok');
    const ours = sdk.sandboxTemplateRefSchema.extend({ x: slow });
    assert.deepEqual(await ours.parseAsync({ name: 't', x: 'ok' }), { name: 't', x: 'ok' });
    assert.equal((await ours.safeParseAsync({ name: 't', x: 'no' })).success, false);
    assert.equal((await zTemplateRef.extend({ x: slow }).safeParseAsync({ name: 't', x: 'no' })).success, false);
  });

  it('hostile input: a forged undefined marker, and __proto__ keys', () => {
    const forged = JSON.parse('{"podTemplate":{"metadata":{}},"replicas":{"\\u0000js":"undefined","x":[1]}}');
    assert.equal(sdk.sandboxSpecSchema.safeParse(forged).success, false);
    const anyTyped = { metadata: {}, spec: JSON.parse('{"\\u0000js":"undefined"}') };
    assert.equal(sdk.podTemplateSchema.parse(anyTyped).spec, anyTyped.spec, 'an any-typed value passes through as it is');
    const proto = sdk.sandboxTemplateRefSchema.extend({ ['__proto__']: z.any() }).parse(JSON.parse('{"name":"t","__proto__":{"isAdmin":true}}'));
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.equal(proto.isAdmin, undefined);
    const labels = sdk.podMetadataSchema.parse({ labels: JSON.parse('{"__proto__":"x","a":"b"}') }).labels;
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  });

  it('a derivation zod refuses is refused (when made, not at the first parse), with a coded error', () => {
    assert.throws(() => sdk.lifecycleSchema.pick({ nope: true }), (e) => e.code === 'INVALID_ARGUMENT' && /Unrecognized key: "nope"/.test(e.message));
    // zod 4 throws the same error later, at the first parse (or shape).
    assert.throws(() => zLifecycle.pick({ nope: true }).parse({}), /Unrecognized key/);
    assert.throws(() => sdk.shutdownPolicySchema.omit({}), (e) => e.code === 'INVALID_ARGUMENT' && /needs an object schema/.test(e.message));
    assert.throws(() => sdk.lifecycleSchema.extend({ x: 'not a schema' }), TypeError);
    assert.throws(() => sdk.lifecycleSchema.pick(['shutdownTime']), TypeError);
  });
});

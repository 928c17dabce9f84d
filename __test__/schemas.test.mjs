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

import { assert, describe, it } from './helpers/harness.mjs';
import * as sdk from '../index.js';

describe('SandboxBuilder', () => {
  it('starts minimal and returns its own object', () => {
    const b = new sdk.SandboxBuilder('s');
    const built = b.build();
    assert.deepEqual(built, { apiVersion: 'agents.x-k8s.io/v1alpha1', kind: 'Sandbox', metadata: { name: 's' }, spec: {} });
    assert.equal(b.build(), built);
  });

  it('creates the sandbox container on image(), and overwrites the image', () => {
    const s = new sdk.SandboxBuilder('s').image('a').image('b').build();
    assert.equal(s.spec.podTemplate.spec.containers[0].name, 'sandbox');
    assert.equal(s.spec.podTemplate.spec.containers[0].image, 'b');
    assert.deepEqual(s.spec.podTemplate.metadata, {});
  });

  it('sets limits only, and resources() alone creates the pod template', () => {
    const s = new sdk.SandboxBuilder('s').resources({ cpu: '2', memory: '4Gi' }).build();
    assert.deepEqual(s.spec.podTemplate.spec.containers[0].resources, { limits: { cpu: '2', memory: '4Gi' } });
  });

  it('merges labels and annotations, keeps every volume claim template', () => {
    const s = new sdk.SandboxBuilder('s')
      .namespace('ns').labels({ a: '1' }).labels({ b: '2' }).annotations({ x: '1' }).annotations({ y: '2' })
      .runtimeClass('gvisor').shutdownTime('2030-01-01T00:00:00Z').shutdownPolicy('Delete').replicas(0)
      .addVolumeClaimTemplate({ metadata: { name: 'w' }, spec: {} }).addVolumeClaimTemplate({ metadata: { name: 'v' }, spec: {} })
      .build();
    assert.equal(s.metadata.namespace, 'ns');
    assert.deepEqual(s.metadata.labels, { a: '1', b: '2' });
    assert.deepEqual(s.metadata.annotations, { x: '1', y: '2' });
    assert.equal(s.spec.podTemplate.spec.runtimeClassName, 'gvisor');
    assert.deepEqual([s.spec.shutdownTime, s.spec.shutdownPolicy, s.spec.replicas], ['2030-01-01T00:00:00Z', 'Delete', 0]);
    assert.equal(s.spec.volumeClaimTemplates.length, 2);
  });

  it('agentPaneContext leaves out what is not given', () => {
    const s = new sdk.SandboxBuilder('s').agentPaneContext({ projectId: 'p' }).build();
    assert.deepEqual(s.metadata.annotations, { 'agentpane.io/project-id': 'p' });
    const t = new sdk.SandboxBuilder('s').agentPaneContext({ projectId: 'p', taskId: 't', sandboxId: 'i' }).build();
    assert.equal(Object.keys(t.metadata.annotations).length, 3);
  });

  it('adds no security defaults unless asked', () => {
    const plain = new sdk.SandboxBuilder('s').image('i').build();
    assert.equal(plain.spec.podTemplate.spec.securityContext, undefined);
    const hardened = new sdk.SandboxBuilder('s').image('i').restrictedPodSecurity().build();
    const pod = hardened.spec.podTemplate.spec;
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.containers[0].securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });
});

describe('other builders', () => {
  it('SandboxTemplateBuilder', () => {
    const pt = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c' }] } };
    const t = new sdk.SandboxTemplateBuilder('t').namespace('n').labels({ l: '1' }).podTemplate(pt).image('img')
      .resources({ cpu: '1', memory: '1Gi' }).networkPolicy({ egress: [] }).networkPolicyManagement('Unmanaged').build();
    assert.equal(t.apiVersion, 'extensions.agents.x-k8s.io/v1alpha1');
    assert.equal(t.kind, 'SandboxTemplate');
    assert.equal(t.spec.podTemplate.spec.containers[0].image, 'img');
    assert.deepEqual(t.spec.podTemplate.metadata, { labels: { a: 'b' } });
    assert.equal(t.spec.networkPolicyManagement, 'Unmanaged');
    const empty = new sdk.SandboxTemplateBuilder('t').podTemplate({ metadata: {}, spec: { containers: [] } }).image('x').build();
    assert.deepEqual(empty.spec.podTemplate.spec.containers, []);
  });

  it('SandboxClaimBuilder and SandboxWarmPoolBuilder', () => {
    const c = new sdk.SandboxClaimBuilder('c').namespace('n').templateRef('tpl').lifecycle({ shutdownPolicy: 'Delete' }).build();
    assert.equal(c.kind, 'SandboxClaim');
    assert.deepEqual(c.spec, { sandboxTemplateRef: { name: 'tpl' }, lifecycle: { shutdownPolicy: 'Delete' } });
    const p = new sdk.SandboxWarmPoolBuilder('p').replicas(3).sandboxTemplateRef('tpl').labels({ a: 'b' }).build();
    assert.equal(p.apiVersion, 'extensions.agents.x-k8s.io/v1alpha1');
    assert.deepEqual(p.spec, { replicas: 3, sandboxTemplateRef: { name: 'tpl' } });
  });
});

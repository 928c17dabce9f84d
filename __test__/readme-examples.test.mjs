// Every ```ts example in README.md, as written: type-checked together with
// tsc --strict (against index.d.ts), then each run as an ES module inside
// this package (so '@agentpane/agent-sandbox-sdk' is this checkout) against
// the bundled cluster (v0.5.6), its kubeconfig found the way a user's is
// (KUBECONFIG). Blocks fenced ```ts fragment are excerpts of a user's own
// files (a vitest config), not programs, and are not run.
import { assert, describe, it, before } from './helpers/harness.mjs';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { kubectl, testKubeconfig } from './helpers/cluster.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'target', 'readme-examples');

/** The ```ts blocks of the README, each under the heading it follows. */
function examples() {
  const found = [];
  let heading = '';
  let block = null;
  let otherFence = false; // inside a block of another language (its # lines are not headings)
  for (const line of readFileSync(join(root, 'README.md'), 'utf8').split('\n')) {
    if (block) {
      if (line === '```') {
        found.push(block);
        block = null;
      } else block.lines.push(line);
    } else if (otherFence) otherFence = !line.trimStart().startsWith('```');
    else if (line === '```ts') block = { heading, lines: [] };
    else if (line.trimStart().startsWith('```')) otherFence = true;
    else if (line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
  }
  return found.map((b, i) => ({ name: `${i + 1}: ${b.heading}`, file: `example-${i + 1}`, code: `${b.lines.join('\n')}\n` }));
}

/** Runs a module with this runtime; resolves `{code, stdout, stderr}`. */
function run(file, env) {
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }));
  });
}

// What an example prints (console.log of { exitCode: 0 } is one line in Node, several in Bun).
const EXIT_0 = String.raw`\{\s*exitCode: 0,?\s*\}`;
const EXPECTED = {
  'Quick start (TypeScript)': new RegExp(`^1\n2\n3\n${EXIT_0}\nNOT_FOUND 404\n$`),
  "AgentPane's provider": new RegExp(`sandbox:started\nhello\n${EXIT_0}\nsandbox:stopping\nsandbox:stopped\n$`),
};

describe('README examples, as written', () => {
  const list = examples();
  let env;
  before(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const e of list) writeFileSync(join(dir, `${e.file}.ts`), e.code);
    const { K8S_KUBECONFIG: _k, KUBECONFIG: _c, ...rest } = process.env;
    env = { ...rest, KUBECONFIG: testKubeconfig('v0.5.6') };
    // What an earlier, interrupted run may have left.
    kubectl('v0.5.6', 'delete', 'sandboxes.agents.x-k8s.io', 'demo', '-n', 'agentpane-sandboxes', '--ignore-not-found', '--wait=false');
    kubectl('v0.5.6', 'delete', 'sandboxes.agents.x-k8s.io,sandboxclaims.extensions.agents.x-k8s.io', '-n', 'agentpane-sandboxes',
      '-l', 'agentpane.io/project-id in (cs-1,cs-ports)', '--ignore-not-found', '--wait=false');
  });

  it('there are examples to run', () => {
    assert.ok(list.length >= 5, `found ${list.length}`);
  });

  it('they type-check under tsc --strict', () => {
    const options = {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'], typeRoots: [join(root, 'node_modules/@types')], skipLibCheck: false,
      paths: { '@agentpane/agent-sandbox-sdk': [join(root, 'index.d.ts')] },
    };
    const program = ts.createProgram(list.map((e) => join(dir, `${e.file}.ts`)), options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) =>
      `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    assert.deepEqual(problems, []);
  });

  for (const example of list) {
    it(`runs: ${example.name}`, async () => {
      const js = ts.transpileModule(example.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const file = join(dir, `${example.file}.mjs`);
      writeFileSync(file, js);
      const result = await run(file, env);
      assert.equal(result.code, 0, `${example.name} failed:\n${result.stderr}\n${result.stdout}`);
      const expected = Object.entries(EXPECTED).find(([heading]) => example.name.endsWith(heading))?.[1];
      if (expected) assert.match(result.stdout, expected);
    });
  }
});

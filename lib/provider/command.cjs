'use strict';
// Command lines run in a sandbox. Every caller string that reaches a shell
// is single-quoted; everything else travels as separate argv entries.

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** POSIX single quoting: 'it'\''s' */
function quote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * argv for an agent command: `cwd` gives `sh -c 'cd <cwd> && K=<v> exec <cmd> <args>'`
 * (env assignments before the last `exec `, which exports them to the command); without cwd, `env K=V ... cmd args`
 * (no shell at all). Throws on an invalid env key.
 */
function agentCommand({ cmd, args = [], env = {}, cwd }, invalidKey) {
  const entries = Object.entries(env);
  for (const [key] of entries) if (!ENV_KEY.test(key)) throw invalidKey(key);
  if (cwd) {
    let script = `cd ${quote(cwd)} && exec ${quote(cmd)} ${args.map(quote).join(' ')}`;
    if (entries.length > 0) {
      const assignments = entries.map(([k, v]) => `${k}=${quote(v)}`).join(' ');
      const at = script.lastIndexOf('exec ');
      script = at >= 0 ? `${script.slice(0, at)}${assignments} ${script.slice(at)}` : `export ${assignments}; ${script}`;
    }
    return ['sh', '-c', script];
  }
  if (entries.length > 0) return ['env', ...entries.map(([k, v]) => `${k}=${v}`), cmd, ...args];
  return [cmd, ...args];
}

/** `dir` and `name` of an absolute or relative file path; null name when it ends in '/'. */
function splitPath(path) {
  const at = path.lastIndexOf('/');
  if (at < 0) return { dir: '.', name: path };
  return { dir: at === 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

module.exports = { quote, agentCommand, splitPath, ENV_KEY };

'use strict';
// Command lines run in a sandbox: assembled by the core, where caller
// strings only ever travel as argv entries (never shell text).

const { native } = require('../native.cjs');
const { nativeFailure } = require('../errors.cjs');

/** argv for an agent command; an invalid env key (or command) throws `invalid(message)`. */
function agentCommand({ cmd, args = [], env = {}, cwd }, invalid) {
  try {
    return native.agentArgv(cmd, args, env, cwd || undefined);
  } catch (err) {
    const f = nativeFailure(err);
    throw f ? invalid(f.message) : err;
  }
}

/** `dir` and `name` of an absolute or relative file path; null name when it ends in '/'. */
function splitPath(path) {
  const at = path.lastIndexOf('/');
  if (at < 0) return { dir: '.', name: path };
  return { dir: at === 0 ? '/' : path.slice(0, at), name: path.slice(at + 1) };
}

module.exports = { agentCommand, splitPath };

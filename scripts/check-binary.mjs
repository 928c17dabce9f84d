#!/usr/bin/env node
// Checks that a built addon is what its Rust target triple says, from the
// file's own headers (no `file` or `readelf` needed, so it runs on every
// release runner): ELF machine and C library (its DT_NEEDED entries: glibc's
// libc.so.6, or musl's libc), Mach-O CPU type, PE machine.
//   node scripts/check-binary.mjs <addon.node> <target-triple>
// Prints one JSON line; exits 1 on a mismatch.
import { readFileSync } from 'node:fs';

const ELF_MACHINE = { x86_64: 62, aarch64: 183 };
const MACHO_CPU = { x86_64: 0x01000007, aarch64: 0x0100000c };
const PE_MACHINE = { x86_64: 0x8664, aarch64: 0xaa64 };

/** The NEEDED libraries of a 64-bit little-endian ELF shared object. */
function elfNeeded(buf) {
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  const segments = Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * phentsize;
    return {
      type: buf.readUInt32LE(at),
      offset: Number(buf.readBigUInt64LE(at + 8)),
      vaddr: Number(buf.readBigUInt64LE(at + 16)),
      filesz: Number(buf.readBigUInt64LE(at + 32)),
    };
  });
  const dynamic = segments.find((s) => s.type === 2); // PT_DYNAMIC
  if (!dynamic) return { interp: null, needed: [] }; // a static object
  const toOffset = (vaddr) => {
    const load = segments.find((s) => s.type === 1 && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
    if (!load) throw new Error(`address 0x${vaddr.toString(16)} is in no loaded segment`);
    return vaddr - load.vaddr + load.offset;
  };
  const entries = [];
  for (let at = dynamic.offset; at + 16 <= dynamic.offset + dynamic.filesz; at += 16) {
    const tag = Number(buf.readBigInt64LE(at));
    if (tag === 0) break; // DT_NULL
    entries.push([tag, Number(buf.readBigUInt64LE(at + 8))]);
  }
  const strtabEntry = entries.find(([tag]) => tag === 5); // DT_STRTAB
  if (!strtabEntry) throw new Error('a dynamic section without DT_STRTAB');
  const strtab = toOffset(strtabEntry[1]);
  const cString = (at) => buf.toString('latin1', at, buf.indexOf(0, at));
  const interp = segments.find((s) => s.type === 3); // PT_INTERP (executables only)
  return {
    interp: interp ? cString(interp.offset) : null,
    needed: entries.filter(([tag]) => tag === 1).map(([, v]) => cString(strtab + v)), // DT_NEEDED
  };
}

function inspect(buf) {
  if (buf.readUInt32BE(0) === 0x7f454c46) {
    if (buf[4] !== 2 || buf[5] !== 1) return { format: 'ELF', problem: 'not a 64-bit little-endian ELF' };
    return { format: 'ELF', machine: buf.readUInt16LE(18), ...elfNeeded(buf) };
  }
  if (buf.readUInt32LE(0) === 0xfeedfacf) return { format: 'Mach-O', machine: buf.readUInt32LE(4) };
  if (buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') return { format: 'PE', problem: 'no PE signature' };
    return { format: 'PE', machine: buf.readUInt16LE(pe + 4) };
  }
  return { format: 'unknown', problem: 'not an ELF, Mach-O or PE file' };
}

/** What the triple requires of the file, and whether `info` meets it. */
function verdict(info, triple) {
  const [arch, , os, abi = ''] = triple.split('-');
  const problems = info.problem ? [info.problem] : [];
  const want = { linux: ['ELF', ELF_MACHINE], darwin: ['Mach-O', MACHO_CPU], windows: ['PE', PE_MACHINE] }[os];
  if (!want) return [`unknown target ${triple}`];
  const [format, machines] = want;
  if (info.format !== format) problems.push(`a ${info.format} file, not ${format}`);
  else if (info.machine !== machines[arch]) problems.push(`machine ${info.machine}, not ${arch} (${machines[arch]})`);
  if (os === 'linux' && info.needed) {
    const glibc = info.needed.includes('libc.so.6');
    const musl = info.needed.some((n) => /musl/.test(n) || n === 'libc.so');
    if (abi.startsWith('musl') && (glibc || !musl)) problems.push(`needs ${info.needed.join(', ')}: not linked against musl's libc alone`);
    if (abi.startsWith('gnu') && (!glibc || musl)) problems.push(`needs ${info.needed.join(', ')}: not linked against glibc (libc.so.6)`);
  }
  return problems;
}

const [file, triple] = process.argv.slice(2);
if (!file || !triple) {
  console.error('usage: node scripts/check-binary.mjs <addon.node> <target-triple>');
  process.exit(2);
}
let info;
try {
  info = inspect(readFileSync(file));
} catch (err) {
  // A truncated or odd file: a verdict line, not a stack trace.
  info = { format: 'unreadable', problem: err.message };
}
const problems = verdict(info, triple);
console.log(JSON.stringify({ file, triple, ok: problems.length === 0, ...info, problems }));
process.exitCode = problems.length === 0 ? 0 : 1;

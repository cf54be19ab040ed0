// node-wasi.mjs: node's WASI as the differential test's reference (tests/wasi/run.sh):
//   node node-wasi.mjs [--dir HOST::GUEST] [--env K=V]... FILE.wasm ARGS...
// Exit status: the guest's exit code; a trap makes node exit 1 (it throws).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const o = argv.shift(), v = argv.shift();
  if (o === '--dir') { const [h, g] = v.split('::'); preopens[g ?? h] = h; }
  else if (o === '--env') { const i = v.indexOf('='); env[v.slice(0, i)] = v.slice(i + 1); }
}
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const wasm = await WebAssembly.compile(await readFile(argv[0]));
const instance = await WebAssembly.instantiate(wasm, wasi.getImportObject());
process.exitCode = wasi.start(instance);

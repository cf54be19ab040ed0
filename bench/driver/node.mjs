// node.mjs: the V8 peer: instantiates a benchmark module (no imports), calls its export run(n) and
// prints the i32 result. Usage: node node.mjs FILE.wasm N
import { readFileSync } from 'node:fs';

const [file, n] = process.argv.slice(2);
if (!file || n === undefined) {
    console.error('usage: node node.mjs FILE.wasm N');
    process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(file), {});
console.log(instance.exports.run(Number(n) >>> 0));

'use strict';
// After `tsc -p tsconfig.build.json`: what the compiled code reads at run time, at the same place
// relative to it as in the repository (cards/ and tenant-stub/ beside dist/src, the playground page
// beside its compiled module), so `node dist/src/main.js` runs from dist/ alone plus node_modules.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const copies = [
  ['cards', 'dist/cards'],
  ['tenant-stub', 'dist/tenant-stub'],
  ['src/playground/page', 'dist/src/playground/page'],
];
for (const [from, to] of copies) {
  fs.rmSync(path.join(root, to), { recursive: true, force: true });
  fs.cpSync(path.join(root, from), path.join(root, to), { recursive: true });
}
console.log(`Copied ${copies.map(([f]) => f).join(', ')} into dist/`);

// The packed tarball installed into a fresh project: ESM import, CJS require, and the declarations
// type-checked from the consumer's side (both module systems).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { startServer } from './helpers/server.mjs';

const run = promisify(execFile);
const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
let server;
let project;
let tarball;

before(async () => {
  server = await startServer();
  project = mkdtempSync(join(tmpdir(), 'fluenzr-consumer-'));
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: PACKAGE_DIR });
  const [packed] = JSON.parse(stdout);
  tarball = { path: join(project, packed.filename), files: packed.files.map((f) => f.path) };
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball.path], { cwd: project });
});
after(async () => {
  await server?.stop();
  if (project) rmSync(project, { recursive: true, force: true });
});

function env() {
  return { ...process.env, FLUENZR_API_KEY: server.apiKey, FLUENZR_BASE_URL: server.baseUrl };
}

test('package.json: name, version, license, engines, exports, files', () => {
  assert.equal(manifest.name, '@fluenzr/sdk');
  assert.equal(manifest.version, '0.1.0');
  assert.equal(manifest.license, 'AGPL-3.0-or-later');
  assert.equal(manifest.engines.node, '>=18');
  assert.deepEqual(manifest.dependencies ?? {}, {}, 'no runtime dependency');
  assert.deepEqual(manifest.files, ['dist', 'README.md']);
  assert.equal(manifest.exports['.'].import.types, './dist/esm/index.d.ts');
  assert.equal(manifest.exports['.'].require.default, './dist/cjs/index.js');
  assert.ok(tarball.files.includes('README.md'));
  assert.ok(tarball.files.includes('dist/cjs/package.json'));
  assert.ok(tarball.files.includes('dist/esm/index.d.ts'));
  assert.deepEqual(tarball.files.filter((f) => !f.startsWith('dist/') && f !== 'README.md' && f !== 'package.json'), []);
});

test('ESM import from the installed tarball talks to the server', { timeout: 30000 }, async () => {
  writeFileSync(
    join(project, 'esm.mjs'),
    `import { FluenzrClient, FluenzrError, VERSION, verifyWebhookSignature } from '@fluenzr/sdk';
const client = new FluenzrClient();
const created = await client.contacts.create({ email: 'esm@example.com' });
const list = await client.contacts.list({ email: 'esm@' });
const missing = await client.contacts.get('con_00000000000000000000').catch((e) => e);
console.log(JSON.stringify({ id: created.id, total: list.meta.total, isError: missing instanceof FluenzrError,
  code: missing.code, version: VERSION, verify: typeof verifyWebhookSignature }));
`,
  );
  const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project, env: env() });
  const out = JSON.parse(stdout);
  assert.match(out.id, /^con_/);
  assert.deepEqual({ ...out, id: undefined }, { id: undefined, total: 1, isError: true, code: 'NOT_FOUND', version: manifest.version, verify: 'function' });
});

test('CJS require from the installed tarball talks to the server', { timeout: 30000 }, async () => {
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { FluenzrClient, FluenzrError } = require('@fluenzr/sdk');
const resolved = require.resolve('@fluenzr/sdk');
(async () => {
  const client = new FluenzrClient();
  const created = await client.contacts.create({ email: 'cjs@example.com' });
  const fetched = await client.contacts.get(created.id);
  const esm = await import('@fluenzr/sdk');
  const dupe = await client.contacts.create({ email: 'cjs@example.com' }).catch((e) => e);
  console.log(JSON.stringify({ resolved, email: fetched.email, cjsError: dupe instanceof FluenzrError,
    esmError: dupe instanceof esm.FluenzrError, code: dupe.code }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: project, env: env() });
  const out = JSON.parse(stdout);
  assert.match(out.resolved, /node_modules[\\/]@fluenzr[\\/]sdk[\\/]dist[\\/]cjs[\\/]index\.js$/);
  assert.equal(out.email, 'cjs@example.com');
  assert.equal(out.cjsError, true);
  assert.equal(out.esmError, true, 'instanceof holds across the two module formats');
  assert.equal(out.code, 'CONFLICT');
});

test('the declarations type-check from a consumer project (ESM and CJS)', { timeout: 60000 }, async () => {
  copyFileSync(join(PACKAGE_DIR, 'test', 'types', 'examples.ts'), join(project, 'examples.ts'));
  writeFileSync(
    join(project, 'commonjs.cts'),
    `import sdk = require('@fluenzr/sdk');
const client: sdk.FluenzrClient = new sdk.FluenzrClient({ apiKey: 'k' });
export const pending: Promise<sdk.ListResult<sdk.Contact>> = client.contacts.list({ perPage: 10 });
// @ts-expect-error perPage is a number
client.contacts.list({ perPage: 'ten' });
`,
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')), type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022', lib: ['ES2022'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        types: ['node'], typeRoots: [join(PACKAGE_DIR, 'node_modules', '@types')],
      },
      files: ['examples.ts', 'commonjs.cts'],
    }),
  );
  const tsc = join(PACKAGE_DIR, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: project }).catch((e) => e);
  assert.equal(result.code ?? 0, 0, `${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /node_modules\/@fluenzr\/sdk\/dist\/esm\/index\.d\.ts/);
  assert.match(result.stdout, /node_modules\/@fluenzr\/sdk\/dist\/cjs\/index\.d\.ts/);
});

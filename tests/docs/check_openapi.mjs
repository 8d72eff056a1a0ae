#!/usr/bin/env node
// Checks docs/openapi.yaml:
//   1. it is a valid OpenAPI 3.0 document (@apidevtools/swagger-parser, schema + $refs);
//   2. its (method, path) pairs are exactly the routes registered in the server's sources (every
//      --source file: src/app, src/idp and src/uem), read from the source text:
//      router.Add("METHOD", "literal path", ...) calls, plus the routes the loop over collections_
//      adds for every collection path;
//   3. every operation has a unique operationId and names its security (with known scopes),
//      every response documents the X-Request-Id header, and every problem+json response has
//      errors[].pointer.
//
// Usage: node check_openapi.mjs --openapi docs/openapi.yaml --source FILE.cc [--source ...]
//                               [--deps-dir DIR]
// The npm dependencies are installed with `npm ci` from package.json + package-lock.json next to
// this script into DIR (default: this folder), once per lockfile content. A failing install fails
// the check: it never passes without having validated the document.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { installDependencies } from '../npm/install_dependencies.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { openapi: null, sources: [], depsDir: here };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if (argv[i] === '--openapi') args.openapi = value;
    else if (argv[i] === '--source') args.sources.push(value);
    else if (argv[i] === '--deps-dir') args.depsDir = value;
    else throw new Error(`unknown argument ${argv[i]}`);
    i++;
  }
  if (!args.openapi || args.sources.length === 0) {
    throw new Error('usage: check_openapi.mjs --openapi FILE --source FILE.cc [--source ...] [--deps-dir DIR]');
  }
  return args;
}


// --- routes in the C++ source -------------------------------------------------------------

function stripComments(text) {
  // Good enough for our sources: no "//" inside the string literals that matter here.
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:"])\/\/.*$/gm, '$1');
}

// The text between `open` (which ends with an opening brace) and its matching closing brace.
function bracedBlock(text, open) {
  const start = text.indexOf(open);
  if (start < 0) return null;
  let depth = 0;
  for (let i = start + open.length - 1; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start + open.length, i);
  }
  return null;
}

export function routesFromSource(sourceText) {
  const text = stripComments(sourceText);
  const routes = new Set();
  const problems = [];

  // Literal routes: router.Add("GET", "/healthz", ...)
  const literal = /router\.Add\(\s*"([A-Z]+)"\s*,\s*"([^"]+)"/g;
  for (const m of text.matchAll(literal)) routes.add(`${m[1]} ${m[2]}`);

  // Collection routes: router.Add("GET", c.path + "/{id}", ...) inside the loop over collections_.
  const templated = /router\.Add\(\s*"([A-Z]+)"\s*,\s*c\.path\s*(?:\+\s*"([^"]*)"\s*)?,/g;
  const templates = [...text.matchAll(templated)].map((m) => ({ method: m[1], suffix: m[2] ?? '' }));
  const block = bracedBlock(text, 'collections_ = {');
  if (templates.length > 0 && block === null) problems.push('no `collections_ = {...}` table found');
  let paths = [];
  if (block !== null) {
    // Each entry opens with its path: {"/v1.0/users", store::ObjectKind::kUser, ...
    paths = [...block.matchAll(/\{\s*"(\/[^"]+)"/g)].map((m) => m[1]);
    const kinds = [...block.matchAll(/store::ObjectKind::k\w+/g)].length;
    if (paths.length === 0) problems.push('the collections_ table lists no paths');
    if (paths.length !== kinds) {
      problems.push(`collections_ has ${kinds} object kinds but ${paths.length} paths were read; ` +
                    'the table changed shape: update routesFromSource()');
    }
    if (templates.length === 0) problems.push('collections_ exists but no router.Add(..., c.path ...) was found');
  }
  for (const p of paths) {
    for (const t of templates) routes.add(`${t.method} ${p}${t.suffix}`);
  }
  // Anything else that registers a route would escape this check: refuse to guess.
  const allAdds = [...text.matchAll(/router\.Add\(/g)].length;
  const understood = [...text.matchAll(literal)].length + templates.length;
  if (allAdds !== understood) {
    problems.push(`${allAdds - understood} router.Add(...) call(s) in a form this check does not ` +
                  'read; update routesFromSource()');
  }
  return { routes, problems, collectionPaths: paths };
}

// --- checks on the document -----------------------------------------------------------------

const kMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const normalize = (route) => route.replace(/\{[^}]*\}/g, '{}');

function routesFromDocument(api) {
  const routes = new Set();
  for (const [p, item] of Object.entries(api.paths ?? {})) {
    for (const m of kMethods) if (item[m]) routes.add(`${m.toUpperCase()} ${p}`);
  }
  return routes;
}

function checkOperations(api) {
  const problems = [];
  const scopes = Object.keys(
      api.components?.securitySchemes?.adminToken?.flows?.clientCredentials?.scopes ?? {});
  const operationIds = new Map();
  for (const [p, item] of Object.entries(api.paths)) {
    for (const m of kMethods) {
      const op = item[m];
      if (!op) continue;
      const where = `${m.toUpperCase()} ${p}`;
      if (!op.operationId) problems.push(`${where}: no operationId`);
      else if (operationIds.has(op.operationId)) {
        problems.push(`${where}: operationId ${op.operationId} also used by ${operationIds.get(op.operationId)}`);
      } else operationIds.set(op.operationId, where);
      if (!Array.isArray(op.security)) problems.push(`${where}: no operation-level security`);
      for (const requirement of op.security ?? []) {
        for (const scope of requirement.adminToken ?? []) {
          if (!scopes.includes(scope)) problems.push(`${where}: unknown scope ${scope}`);
        }
      }
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!response.headers?.['X-Request-Id']) {
          problems.push(`${where} ${status}: X-Request-Id header not documented`);
        }
        const problemJson = response.content?.['application/problem+json'];
        if (problemJson && problemJson.schema?.properties?.errors?.items?.properties?.pointer ===
                               undefined) {
          problems.push(`${where} ${status}: problem+json without errors[].pointer`);
        }
      }
    }
  }
  return problems;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  installDependencies(here, args.depsDir);
  const require = createRequire(path.join(path.resolve(args.depsDir), 'package.json'));
  const SwaggerParser = require('@apidevtools/swagger-parser');

  const failures = [];
  // 1. Valid OpenAPI (validate() dereferences, so parse separately for the raw document).
  try {
    await SwaggerParser.validate(args.openapi);
  } catch (error) {
    failures.push(`not a valid OpenAPI document: ${error.message}`);
  }
  const raw = await SwaggerParser.parse(args.openapi);
  if (raw.openapi !== '3.0.3') failures.push(`openapi is ${raw.openapi}, expected 3.0.3`);
  const api = await SwaggerParser.dereference(structuredClone(raw));

  // 2. Same routes as the server.
  const served = new Set();
  let collections = 0;
  for (const file of args.sources) {
    const source = routesFromSource(fs.readFileSync(file, 'utf8'));
    failures.push(...source.problems.map((p) => `${file}: ${p}`));
    for (const r of source.routes) served.add(normalize(r));
    collections += source.collectionPaths.length;
  }
  const documented = new Set([...routesFromDocument(raw)].map(normalize));
  for (const r of [...served].sort()) {
    if (!documented.has(r)) failures.push(`served but not in openapi.yaml: ${r}`);
  }
  for (const r of [...documented].sort()) {
    if (!served.has(r)) failures.push(`in openapi.yaml but not served: ${r}`);
  }

  // 3. Consistency of every operation.
  failures.push(...checkOperations(api));

  if (failures.length > 0) {
    for (const f of failures) console.error(`FAIL ${f}`);
    console.error(`${failures.length} problem(s) in ${args.openapi}`);
    process.exit(1);
  }
  console.log(`OK ${args.openapi}: valid OpenAPI ${raw.openapi}, ${served.size} routes ` +
              `(${collections} collections) match ${args.sources.length} source file(s)`);
}

main().catch((error) => {
  console.error(`FAIL ${error.stack ?? error}`);
  process.exit(1);
});

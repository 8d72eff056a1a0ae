// Helpers of the seed-flow end-to-end test (seed_flow_test.mjs): a split deployment (one
// `gatehouse serve --role idp` on a fixed port so it can be stopped and restarted at the same URL,
// one `--role uem`), the agent's loopback device-proof responder, PKCE, Prometheus text and
// OData paging.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

import { startProcess, stopProcess } from './server.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// `gatehouse serve` with the given role on 127.0.0.1:`port` (0 = any) and data folder, without
// --demo. Resolves with {url, bootstrapSecret (first start only), stop(), stdout(), stderr()}.
export async function startNode({ binary, role, port = 0, dataDir, extraArgs = [], env = {} }) {
  const state = await startProcess(binary, ['serve', '--role', role, '--listen', `127.0.0.1:${port}`,
                                            '--data-dir', dataDir, ...extraArgs],
                                   { ready: /Gatehouse is serving on (\S+)[\s\S]*stop:/, env });
  const url = /Gatehouse is serving on (\S+)/.exec(state.stdout)[1];
  const secret = /its secret, shown once[^\n]*\n\s*(\S+)/.exec(state.stdout);
  return {
    url,
    dataDir,
    bootstrapSecret: secret ? secret[1] : null,
    stdout: () => state.stdout,
    stderr: () => state.stderr,
    stop: () => stopProcess(state.child),
  };
}

// Asks the agent's responder for a proof, as the sign-in page's script does (Origin = the IdP's).
// Resolves with {status, body (text)}.
export function requestDeviceProof(proofPort, origin, nonce, binding) {
  const query = new URLSearchParams({ nonce, binding }).toString();
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port: proofPort, path: `/v1/device-proof?${query}`,
                               headers: { origin }, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (c) => { body += c; });
      response.on('end', () => resolve({ status: response.statusCode, body,
                                         allowOrigin: response.headers['access-control-allow-origin'] }));
    });
    request.on('error', reject);
    request.setTimeout(5000, () => request.destroy(new Error('device-proof request timed out')));
  });
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

export function jwtPayload(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

// Sum of a Prometheus metric's samples whose labels include every `labels` pair.
export function metricSum(text, name, labels = {}) {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labelText = m[2] ?? '';
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    sum += Number(m[3]);
    found = true;
  }
  return found ? sum : null;
}

// Every item of an OData collection, following @odata.nextLink.
export async function listAll(admin, path) {
  const items = [];
  let link = path;
  for (let pages = 0; link && pages < 1000; pages++) {
    const page = await admin('GET', link);
    if (page.status !== 200) throw new Error(`GET ${link}: ${page.status} ${page.text.slice(0, 400)}`);
    items.push(...page.json.value);
    const next = page.json['@odata.nextLink'];
    link = next ? (next.startsWith('http') ? new URL(next).pathname + new URL(next).search : next) : null;
  }
  return items;
}

// Runs `worker(item)` over `items` with at most `limit` in flight.
export async function inPool(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

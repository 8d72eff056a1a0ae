#!/usr/bin/env node
// The whole sign-in journey in a real browser (Debian's Chromium driven by playwright-core):
// a user without a registered device reaches the demo app, signs in with password and TOTP, lands
// on the remediation page (530003), registers the device with the real agent using the code shown
// there, is refused as not compliant (53000), becomes compliant, presses Re-check — the page gets
// a device proof from the agent on loopback — and lands in the demo app with an ID token whose
// `deviceid` is the registered device. Screenshots of each page go to --artifacts.
//
// Usage: node browser_test.mjs --gatehouse build/gatehouse --agent build/gatehouse-agent
//                              [--chromium /usr/bin/chromium] [--deps-dir DIR] [--artifacts DIR]
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { adminClient, adminToken } from './lib/admin.mjs';
import { runCommand, startProcess, startServer, stopProcess, temporaryFolder } from './lib/server.mjs';
import { totp } from './lib/totp.mjs';
import { installDependencies } from '../npm/install_dependencies.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = { gatehouse: null, agent: null, chromium: '/usr/bin/chromium',
                 depsDir: path.join(here, 'npm'), artifacts: temporaryFolder('artifacts') };
  const names = { '--gatehouse': 'gatehouse', '--agent': 'agent', '--chromium': 'chromium',
                  '--deps-dir': 'depsDir', '--artifacts': 'artifacts' };
  for (let i = 0; i < argv.length; i += 2) {
    if (!names[argv[i]]) throw new Error(`unknown argument ${argv[i]}`);
    args[names[argv[i]]] = argv[i + 1];
  }
  if (!args.gatehouse || !args.agent) {
    throw new Error('usage: browser_test.mjs --gatehouse BIN --agent BIN [--chromium BIN] [--deps-dir DIR] [--artifacts DIR]');
  }
  return args;
}

const step = (text) => console.log(`-- ${text}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(args.artifacts, { recursive: true });
  installDependencies(here, args.depsDir);
  const require = createRequire(path.join(path.resolve(args.depsDir), 'package.json'));
  const { chromium } = require('playwright-core');

  const proofPort = await freePort();
  const server = await startServer({ binary: args.gatehouse,
                                     extraArgs: ['--agent-proof-port', String(proofPort)] });
  const agentState = temporaryFolder('agent');
  let agentRun = null;
  const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
  let page = null;
  let admin = null;
  try {
    const demo = /user: (\S+)\s+password: (\S+)/.exec(server.stdout());
    assert.ok(demo, `the demo user and password in the banner:\n${server.stdout()}`);
    const [, username, password] = demo;
    admin = adminClient(server.url, await adminToken(server.url, 'gatehouse-bootstrap',
                                                            server.bootstrapSecret));
    page = await browser.newPage();
    const shot = (name) => page.screenshot({ path: path.join(args.artifacts, `${name}.png`), fullPage: true });
    const pageKind = () => page.locator('#page').getAttribute('data-page');

    step('the demo app sends the browser to the sign-in page');
    await page.goto(`${server.url}/demo/app`);
    await page.click('#demo-sign-in');
    await page.waitForSelector('[data-page="sign-in"]');
    await page.fill('#sign-in-form [name="username"]', username);
    await page.fill('#sign-in-form [name="password"]', password);
    await page.click('#sign-in-submit');

    step('MFA: enrol an authenticator and answer with a TOTP code');
    await page.waitForSelector('[data-page="mfa-enroll"], [data-page="mfa"]');
    assert.equal(await pageKind(), 'mfa-enroll');
    const secret = (await page.textContent('#totp-secret')).trim();
    await page.fill('#totp-form [name="code"]', totp(secret));
    await page.click('#totp-submit');

    step('no device identity: remediation page with 530003 and a registration code');
    await page.waitForSelector('[data-page="remediation"]');
    await shot('1-remediation-no-device');
    assert.equal((await page.textContent('#error-code')).trim(), '530003');
    assert.equal(await page.locator('#no-device').count(), 1);
    const requestId = (await page.textContent('#request-id')).trim();
    const code = (await page.textContent('#registration-code')).trim();
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    assert.match(await page.textContent('#register-command'), new RegExp(code));
    const logged = await admin('GET', `/v1.0/auditLogs/signIns?$filter=id eq '${requestId}'`);
    assert.equal(logged.status, 200, logged.text);
    assert.equal(logged.json.value.length, 1, 'the request id on the page finds the sign-in log record');
    assert.equal(String(logged.json.value[0].status.errorCode), '530003');
    assert.ok(logged.json.value[0].appliedConditionalAccessPolicies.length > 0, 'with its per-policy trace');

    step('register the device with the agent and start its proof responder');
    const registered = await runCommand(args.agent, ['--state-dir', agentState, 'register',
                                                     '--server', server.url, '--code', code]);
    assert.equal(registered.code, 0, registered.stderr);
    const deviceId = JSON.parse(registered.stdout).directoryDeviceId;
    assert.match(deviceId, /^[0-9a-f-]{36}$/);
    const keyMode = fs.statSync(path.join(agentState, 'device-key.pem')).mode & 0o777;
    assert.equal(keyMode, 0o600, 'the device key file is private');
    agentRun = await startProcess(args.agent, ['--state-dir', agentState, 'run', '--interval', '3600',
                                               '--proof-listen', String(proofPort)],
                                  { ready: null });
    await waitForPort(proofPort);

    step('Re-check with a registered but not compliant device: 53000 names the device');
    await page.click('#recheck');
    await page.waitForSelector('[data-page="remediation"] #device-short-id');
    await shot('2-remediation-not-compliant');
    assert.equal((await page.textContent('#error-code')).trim(), '53000');
    assert.equal((await page.textContent('#device-short-id')).trim(), deviceId.slice(0, 8));

    step('the device becomes compliant; Re-check lands in the demo app');
    const patched = await admin('PATCH', `/v1.0/devices/${deviceId}`, { isCompliant: true, isManaged: true });
    assert.ok(patched.status === 200 || patched.status === 204, patched.text);
    await page.click('#recheck');
    await page.waitForSelector('[data-page="demo-app"]', { timeout: 15000 });
    await shot('3-demo-app');
    assert.equal((await page.textContent('#claim-deviceid')).trim(), deviceId);
    assert.match(await page.textContent('#claim-amr'), /mfa/);
    console.log(`PASS browser journey (screenshots in ${args.artifacts})`);
  } catch (error) {
    // Leave the evidence: where the browser was, what the page said, what the processes logged.
    if (page) {
      await page.screenshot({ path: path.join(args.artifacts, 'failure.png'), fullPage: true }).catch(() => {});
      console.error(`page ${page.url()}:\n${await page.locator('body').innerText().catch(() => '?')}`);
    }
    if (admin) {
      const recent = await admin('GET', '/v1.0/auditLogs/signIns?$top=3').catch(() => null);
      for (const r of recent?.json?.value ?? []) {
        console.error(`sign-in ${r.id}: ${r.status?.errorCode} ${JSON.stringify(r.gatehouse)} device ${JSON.stringify(r.deviceDetail)}`);
      }
    }
    if (agentRun) console.error(`agent stderr:\n${agentRun.stderr}`);
    console.error(`server stderr (last lines):\n${server.stderr().split('\n').slice(-30).join('\n')}`);
    throw error;
  } finally {
    await browser.close();
    if (agentRun) await stopProcess(agentRun.child);
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

#!/usr/bin/env node
// The seed flow end to end (issue 6 §5), with real processes on loopback in a split deployment:
// one `gatehouse serve --role idp` (fixed port, so it can be stopped and restarted at the same URL
// with the same data folder) and one `gatehouse serve --role uem` whose partner connector delivers
// to the IdP with a partner client holding only DeviceCompliance.ReadWrite.Partner.
//
//  1. An unregistered device is refused with 530003 and the remediation page (HTML sign-in of a
//     test user to a test app whose CA policy requires a compliant device; no MFA in the policy).
//  2. The real `gatehouse-agent` enrols at the UEM and registers at the IdP with the one-time code
//     shown on that page; a non-compliant posture gives 53000 with the failing settings listed
//     (`#failing-settings > li[data-setting]`).
//  3. Fixing the posture lets the next sign-in through within 2 s of the accepted check-in.
//  4. Breaking it again refuses the next token refresh (invalid_grant, 53000) within 2 s.
//  5. With the IdP stopped for 10 s while 1,000 simulated devices (`gatehouse-agent simulate`)
//     change state, every change is delivered after the IdP restarts, none lost or out of order:
//     every device's final record and every device's audited sequence history are checked.
//
// Posture control: the host's real posture is not under the test's control, so the test sends the
// device's check-ins itself — the same HTTP call the agent makes (POST /uem/v1/devices/{id}/checkins
// with the device secret the agent stored in its state folder, see docs/agent.md) — with crafted
// good/bad postures and sequence numbers far above the agent's own (1000+), so the agent's own
// check-in at `run` start (real host posture, small sequence) can never overwrite them: the UEM
// refuses it as out of order if it arrives later. Device proofs at sign-in come from the real agent:
// `gatehouse-agent run` answers GET /v1/device-proof on loopback, asked with the IdP's Origin as the
// sign-in page's script does, and the answer is posted in the form field `device_proof`.
//
// Usage: node seed_flow_test.mjs --gatehouse build/gatehouse --agent build/gatehouse-agent
//                                [--deps-dir DIR]   (accepted for symmetry; no npm package needed)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { adminClient, adminToken } from './lib/admin.mjs';
import { freePort, inPool, jwtPayload, listAll, metricSum, pkcePair, requestDeviceProof, sleep,
         startNode, waitForPort } from './lib/seed_flow.mjs';
import { runCommand, startProcess, stopProcess, temporaryFolder } from './lib/server.mjs';
import { elementText, formsOf, ScriptedUserAgent } from './lib/user_agent.mjs';

const kDevices = 1000;
const kOutageMs = 10000;
const kFreshnessLimitMs = 2000;
const kPollMs = 100;

function parseArgs(argv) {
  const args = { gatehouse: null, agent: null, depsDir: null };
  const names = { '--gatehouse': 'gatehouse', '--agent': 'agent', '--deps-dir': 'depsDir' };
  for (let i = 0; i < argv.length; i += 2) {
    if (!names[argv[i]]) throw new Error(`unknown argument ${argv[i]}`);
    args[names[argv[i]]] = argv[i + 1];
  }
  if (!args.gatehouse || !args.agent) {
    throw new Error('usage: seed_flow_test.mjs --gatehouse BIN --agent BIN [--deps-dir DIR]');
  }
  return args;
}

const started = Date.now();
const step = (text) => console.log(`-- [${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
const figure = (text) => console.log(`   FIGURE ${text}`);
const pageKind = (html) => (/data-page="([^"]+)"/.exec(html) || [])[1];

// A posture as the agent reports it (DESIGN §3.4 keys); `good` satisfies the test's policy.
function posture(deviceId, good) {
  return { deviceId, operatingSystem: 'Linux', osVersion: '12', osDistribution: 'debian',
           kernelVersion: '6.1.0-18-amd64', storageEncrypted: good, firewallEnabled: good,
           secureBootEnabled: true, pendingSecurityUpdates: 0,
           observedDateTime: new Date().toISOString() };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const work = temporaryFolder('seed');
  const idpDir = path.join(work, 'idp');
  const uemDir = path.join(work, 'uem');
  const agentState = path.join(work, 'agent');
  const idpPort = await freePort();
  const proofPort = await freePort();
  const loose = ['--rate-limit', '100000', '--rate-limit-burst', '100000'];
  const idpArgs = ['--agent-proof-port', String(proofPort), ...loose];
  let idp = null;
  let uem = null;
  let agentRun = null;
  try {
    step(`split deployment: IdP on 127.0.0.1:${idpPort}, UEM on its own port, data in ${work}`);
    idp = await startNode({ binary: args.gatehouse, role: 'idp', port: idpPort, dataDir: idpDir,
                            extraArgs: idpArgs });
    const idpSecret = idp.bootstrapSecret;
    assert.ok(idpSecret, 'the IdP prints its bootstrap secret at first start');
    let idpAdmin = adminClient(idp.url, await adminToken(idp.url, 'gatehouse-bootstrap', idpSecret));

    const partner = await idpAdmin('POST', '/v1.0/gatehouse/partnerClients', { clientId: 'seed-uem' });
    assert.equal(partner.status, 201, partner.text);
    assert.deepEqual(partner.json.scopes, ['DeviceCompliance.ReadWrite.Partner']);
    const partnerToken = await adminToken(idp.url, 'seed-uem', partner.json.secretText);
    const partnerCall = adminClient(idp.url, partnerToken);
    const forbidden = await partnerCall('GET', '/v1.0/users');
    assert.equal(forbidden.status, 403, `the partner credential reads nothing else: ${forbidden.status} ${forbidden.text}`);

    uem = await startNode({ binary: args.gatehouse, role: 'uem', dataDir: uemDir,
                            extraArgs: ['--partner-idp-url', idp.url, '--partner-client-id', 'seed-uem', ...loose],
                            env: { GATEHOUSE_PARTNER_CLIENT_SECRET: partner.json.secretText } });
    assert.ok(uem.bootstrapSecret, 'the UEM node prints its own bootstrap secret');
    const uemAdmin = adminClient(uem.url, await adminToken(uem.url, 'gatehouse-bootstrap', uem.bootstrapSecret));

    step('UEM: a Linux compliance policy (firewall + encryption) for all devices, an enrolment token');
    const policy = await uemAdmin('POST', '/uem/v1/compliancePolicies', {
      id: 'seed-linux', displayName: 'Seed flow Linux baseline', platform: 'Linux',
      rules: [{ name: 'firewallEnabled', key: 'firewallEnabled', operator: 'equals', value: true },
              { name: 'storageEncrypted', key: 'storageEncrypted', operator: 'equals', value: true }] });
    assert.equal(policy.status, 201, policy.text);
    const assigned = await uemAdmin('POST', '/uem/v1/compliancePolicies/seed-linux/assign', {
      assignments: [{ target: { '@odata.type': '#microsoft.graph.allDevicesAssignmentTarget' } }] });
    assert.equal(assigned.status, 200, assigned.text);
    const enrolment = await uemAdmin('POST', '/uem/v1/enrollmentTokens', { displayName: 'seed flow' });
    assert.equal(enrolment.status, 201, enrolment.text);
    const enrolmentToken = enrolment.json.token;

    step('IdP: a user with a password, a confidential web app, a CA policy requiring a compliant device');
    const username = `seed-${Date.now()}@contoso.example`;
    const password = `Seed-${randomUUID()}`;
    const user = await idpAdmin('POST', '/v1.0/users', {
      userPrincipalName: username, displayName: 'Seed Flow', accountEnabled: true,
      passwordProfile: { password, forceChangePasswordNextSignIn: false } });
    assert.equal(user.status, 201, user.text);
    const redirectUri = 'http://127.0.0.1:9/seed/callback';
    const app = await idpAdmin('POST', '/v1.0/applications', {
      appId: randomUUID(), displayName: 'Seed flow app', web: { redirectUris: [redirectUri] } });
    assert.equal(app.status, 201, app.text);
    const clientId = app.json.appId;
    const secret = await idpAdmin('POST', `/v1.0/applications/${clientId}/addPassword`,
                                  { passwordCredential: { displayName: 'seed flow' } });
    assert.equal(secret.status, 200, secret.text);
    const clientSecret = secret.json.secretText;
    const ca = await idpAdmin('POST', '/v1.0/identity/conditionalAccess/policies', {
      displayName: 'Seed flow: the app requires a compliant device', state: 'enabled',
      conditions: { users: { includeUsers: [user.json.id] },
                    applications: { includeApplications: [clientId] }, clientAppTypes: ['all'] },
      grantControls: { operator: 'OR', builtInControls: ['compliantDevice'] } });
    assert.equal(ca.status, 201, ca.text);

    const ua = new ScriptedUserAgent();
    const authorizationUrl = (pkce) => `${idp.url}/authorize?${new URLSearchParams({
      client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile',
      state: randomUUID(), nonce: randomUUID(), code_challenge: pkce.challenge,
      code_challenge_method: 'S256' })}`;
    const proofFor = async (form) => {
      const nonce = /data-device-nonce="([^"]*)"/.exec(form.tag)?.[1];
      const binding = /data-device-binding="([^"]*)"/.exec(form.tag)?.[1];
      assert.ok(nonce && binding, `the form carries data-device-nonce and data-device-binding: ${form.tag}`);
      const proof = await requestDeviceProof(proofPort, idp.url, nonce, binding);
      assert.equal(proof.status, 200, `the agent's proof responder: ${proof.status} ${proof.body}`);
      assert.equal(proof.allowOrigin, idp.url);
      return proof.body;
    };
    // The forms of a page plus each form's opening tag (for the data attributes).
    const formsWithTags = (page) => {
      const tags = [...page.html.matchAll(/<form\b[^>]*>/g)].map((m) => m[0]);
      return formsOf(page.html, page.url).map((f, i) => ({ ...f, tag: tags[i] }));
    };
    const remediationFacts = (page) => ({
      kind: pageKind(page.html),
      status: page.status,
      errorCode: elementText(page.html, 'error-code'),
      failing: [...page.html.matchAll(/<ul id="failing-settings">([\s\S]*?)<\/ul>/g)]
          .flatMap((m) => [...m[1].matchAll(/<li data-setting="([^"]*)"/g)].map((li) => li[1])),
    });

    // ------------------------------------------------------------------ 1
    step('1. unregistered device: password sign-in without a device proof → 530003 + remediation page');
    const firstPkce = pkcePair();
    let page = await ua.follow(authorizationUrl(firstPkce), { stopPrefix: redirectUri });
    assert.equal(pageKind(page.html), 'sign-in', `the sign-in page: ${page.status} ${page.html.slice(0, 500)}`);
    const signInForm = formsWithTags(page).find((f) => f.id === 'sign-in-form');
    assert.ok(signInForm, 'the #sign-in-form');
    assert.ok('device_proof' in signInForm.fields, 'the sign-in form has a device_proof field');
    Object.assign(signInForm.fields, { username, password, device_proof: '' });
    page = await ua.follow(signInForm.action, { method: 'POST', form: signInForm.fields, stopPrefix: redirectUri });
    let facts = remediationFacts(page);
    assert.equal(facts.kind, 'remediation', `remediation page expected: ${page.status} ${page.html.slice(0, 800)}`);
    assert.equal(page.status, 403);
    assert.equal(facts.errorCode, '530003');
    assert.match(page.html, /id="no-device"/);
    const code = elementText(page.html, 'registration-code');
    assert.match(code ?? '', /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/, 'a registration code on the page');
    const requestId = elementText(page.html, 'request-id');
    const logged = await idpAdmin('GET', `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(`id eq '${requestId}'`)}`);
    assert.equal(logged.status, 200, logged.text);
    assert.equal(String(logged.json.value[0]?.status?.errorCode), '530003', 'the sign-in log agrees');
    console.log(`   refused with ${facts.errorCode}, registration code ${code}`);

    // ------------------------------------------------------------------ 2
    step('2. the real agent enrols at the UEM and registers at the IdP with the code from the page');
    const enrolled = await runCommand(args.agent, ['--state-dir', agentState, 'enroll', '--uem', uem.url,
                                                   '--token', enrolmentToken]);
    assert.equal(enrolled.code, 0, `enroll: ${enrolled.stdout} ${enrolled.stderr}`);
    const registered = await runCommand(args.agent, ['--state-dir', agentState, 'register',
                                                     '--server', idp.url, '--code', code]);
    assert.equal(registered.code, 0, `register: ${registered.stdout} ${registered.stderr}`);
    const directoryDeviceId = JSON.parse(registered.stdout).directoryDeviceId;
    assert.match(directoryDeviceId ?? '', /^[0-9a-f-]{36}$/, registered.stdout);
    const state = JSON.parse(fs.readFileSync(path.join(agentState, 'state.json'), 'utf8'));
    assert.equal(state.directoryDeviceId, directoryDeviceId);
    assert.equal(state.directoryLinked, true, `register hands the directory id to the UEM: ${JSON.stringify(state)}`);
    const uemDeviceId = state.uemDeviceId;
    const deviceSecret = fs.readFileSync(path.join(agentState, 'device-secret'), 'utf8').trim();
    assert.equal(fs.statSync(path.join(agentState, 'device-key.pem')).mode & 0o777, 0o600);
    const uemDevice = await uemAdmin('GET', `/uem/v1/devices/${uemDeviceId}`);
    assert.equal(uemDevice.status, 200, uemDevice.text);
    assert.equal(uemDevice.json.directoryDeviceId, directoryDeviceId, 'the UEM holds the directory link');

    agentRun = await startProcess(args.agent, ['--state-dir', agentState, 'run', '--interval', '3600',
                                               '--proof-listen', String(proofPort)], { ready: null });
    await waitForPort(proofPort);

    let checkinSequence = 1000;  // above anything the agent itself sends (see the header)
    const checkIn = async (good) => {
      const response = await fetch(`${uem.url}/uem/v1/devices/${uemDeviceId}/checkins`, {
        method: 'POST',
        headers: { authorization: `Bearer ${deviceSecret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sequence: ++checkinSequence, posture: posture(directoryDeviceId, good) }),
      });
      const body = await response.json();
      const at = performance.now();
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(body.accepted, true, `check-in ${checkinSequence} accepted: ${JSON.stringify(body)}`);
      return { body, at };
    };
    const idpDeviceRecord = async () => {
      const list = await listAll(idpAdmin, '/v1.0/devices?$top=1000');
      return list.find((d) => d.deviceId === directoryDeviceId || d.id === directoryDeviceId);
    };
    // Waits until the IdP holds the UEM's latest partner update for the agent's device.
    const waitForIdpToHoldUem = async () => {
      const deadline = Date.now() + 10000;
      for (;;) {
        const at = await uemAdmin('GET', `/uem/v1/devices/${uemDeviceId}`);
        const record = await idpDeviceRecord();
        if (record?.gatehouseCompliance?.sequence === at.json.partnerSequence) return record;
        if (Date.now() > deadline) {
          throw new Error(`the IdP never received partner sequence ${at.json.partnerSequence}: ${JSON.stringify(record)}`);
        }
        await sleep(kPollMs);
      }
    };

    const bad = await checkIn(false);
    assert.equal(bad.body.complianceState, 'nonCompliant', JSON.stringify(bad.body));
    const expectedFailing = (bad.body.failingSettings ?? []).map((f) => f.setting).sort();
    assert.deepEqual(expectedFailing, ['firewallEnabled', 'storageEncrypted'], JSON.stringify(bad.body));
    const badRecord = await waitForIdpToHoldUem();
    assert.equal(badRecord.isCompliant, false, JSON.stringify(badRecord));

    step('   Re-check on the remediation page with a device proof from the agent → 53000 + failing settings');
    const recheck = formsWithTags(page).find((f) => f.id === 'recheck-form');
    assert.ok(recheck, 'the #recheck-form');
    recheck.fields.device_proof = await proofFor(recheck);
    page = await ua.follow(recheck.action, { method: 'POST', form: recheck.fields, stopPrefix: redirectUri });
    facts = remediationFacts(page);
    assert.equal(facts.kind, 'remediation', `${page.status} ${page.html.slice(0, 800)}`);
    assert.equal(facts.errorCode, '53000');
    assert.equal(elementText(page.html, 'device-short-id'), directoryDeviceId.slice(0, 8));
    assert.deepEqual([...facts.failing].sort(), expectedFailing, 'the page lists the failing settings');
    console.log(`   refused with ${facts.errorCode}; failing settings on the page: ${facts.failing.join(', ')}`);

    // One sign-in attempt with the session: /authorize → continue page → agent proof → continue.
    // Returns {ok: true, code, pkce} or {ok: false, facts}.
    const signInOnce = async () => {
      const pkce = pkcePair();
      let p = await ua.follow(authorizationUrl(pkce), { stopPrefix: redirectUri });
      for (let hops = 0; hops < 3 && !(p.location ?? '').startsWith(redirectUri); hops++) {
        const kind = pageKind(p.html);
        if (kind === 'remediation') return { ok: false, facts: remediationFacts(p) };
        assert.equal(kind, 'continue', `the SSO continue page: ${p.status} ${p.html.slice(0, 500)}`);
        const form = formsWithTags(p).find((f) => f.id === 'continue-form');
        form.fields.device_proof = await proofFor(form);
        p = await ua.follow(form.action, { method: 'POST', form: form.fields, stopPrefix: redirectUri });
      }
      if ((p.location ?? '').startsWith(redirectUri)) {
        const back = new URL(p.location);
        assert.ok(back.searchParams.get('code'), `a code in ${p.location}`);
        return { ok: true, code: back.searchParams.get('code'), pkce };
      }
      return { ok: false, facts: remediationFacts(p) };
    };
    const tokenRequest = async (form) => {
      const response = await fetch(`${idp.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded',
                   authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
        body: new URLSearchParams(form),
      });
      return { status: response.status, json: await response.json() };
    };
    const stillRefused = await signInOnce();
    assert.equal(stillRefused.ok, false, 'a non-compliant device is not let in');
    assert.equal(stillRefused.facts.errorCode, '53000');

    // ------------------------------------------------------------------ 3
    step('3. fix the posture: the next sign-in must get through within 2 s of the accepted check-in');
    const good = await checkIn(true);
    assert.equal(good.body.complianceState, 'compliant', JSON.stringify(good.body));
    let admitted = null;
    let attempts = 0;
    while (!admitted) {
      const began = performance.now();
      const attempt = await signInOnce();
      attempts++;
      if (attempt.ok) {
        admitted = { ...attempt, at: performance.now() };
        break;
      }
      assert.equal(attempt.facts.errorCode, '53000', `only "not compliant" while the change travels: ${JSON.stringify(attempt.facts)}`);
      assert.ok(performance.now() - good.at < 10000, 'no sign-in got through within 10 s');
      await sleep(Math.max(0, kPollMs - (performance.now() - began)));
    }
    const admitMs = admitted.at - good.at;
    figure(`check-in accepted → first successful sign-in: ${admitMs.toFixed(0)} ms (${attempts} attempts)`);
    assert.ok(admitMs < kFreshnessLimitMs, `sign-in admitted after ${admitMs.toFixed(0)} ms (limit ${kFreshnessLimitMs})`);
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code: admitted.code,
                                        redirect_uri: redirectUri, code_verifier: admitted.pkce.verifier });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
    assert.equal(jwtPayload(tokens.json.id_token).deviceid, directoryDeviceId, 'the ID token names the device');
    let refreshToken = tokens.json.refresh_token;
    assert.ok(refreshToken, 'a refresh token');
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(refreshed.status, 200, `a refresh works while compliant: ${JSON.stringify(refreshed.json)}`);
    refreshToken = refreshed.json.refresh_token;

    // ------------------------------------------------------------------ 4
    step('4. break the posture: the next token refresh must be refused within 2 s');
    const broken = await checkIn(false);
    assert.equal(broken.body.complianceState, 'nonCompliant');
    let refusedAt = null;
    let refreshes = 0;
    let refusal = null;
    while (refusedAt === null) {
      const began = performance.now();
      const r = await tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
      refreshes++;
      if (r.status === 200) {
        refreshToken = r.json.refresh_token;
        assert.ok(performance.now() - broken.at < 10000, 'refreshes kept working for 10 s');
        await sleep(Math.max(0, kPollMs - (performance.now() - began)));
        continue;
      }
      refusedAt = performance.now();
      refusal = r;
    }
    assert.equal(refusal.status, 400, JSON.stringify(refusal.json));
    assert.equal(refusal.json.error, 'invalid_grant', JSON.stringify(refusal.json));
    assert.ok((refusal.json.error_codes ?? []).includes(53000), `the CA error code: ${JSON.stringify(refusal.json)}`);
    const refuseMs = refusedAt - broken.at;
    figure(`check-in accepted → refresh refused (invalid_grant 53000): ${refuseMs.toFixed(0)} ms (${refreshes} refreshes)`);
    assert.ok(refuseMs < kFreshnessLimitMs, `refresh refused after ${refuseMs.toFixed(0)} ms (limit ${kFreshnessLimitMs})`);
    // The agent is stopped at the end, with the servers (it checks in only hourly meanwhile).

    // ------------------------------------------------------------------ 5
    step(`5. ${kDevices} directory devices through the admin API`);
    const created = performance.now();
    const directoryIds = Array.from({ length: kDevices }, () => randomUUID());
    await inPool(directoryIds, 8, async (id, i) => {
      const r = await idpAdmin('POST', '/v1.0/devices', {
        deviceId: id, displayName: `sim-${i}`, operatingSystem: 'Linux', trustType: 'Workplace',
        accountEnabled: true });
      assert.equal(r.status, 201, `device ${i}: ${r.text}`);
    });
    figure(`${kDevices} directory devices created in ${((performance.now() - created) / 1000).toFixed(1)} s`);
    const idsFile = path.join(work, 'directory-ids.txt');
    fs.writeFileSync(idsFile, `${directoryIds.join('\n')}\n`);
    const transitionsFile = path.join(work, 'transitions.jsonl');

    step(`   stop the IdP; ${kDevices} simulated devices enrol, link and change state meanwhile`);
    await idp.stop();
    const stoppedAt = performance.now();
    const simulated = await runCommand(args.agent, [
      'simulate', '--uem', uem.url, '--token', enrolmentToken, '--devices', String(kDevices),
      '--drift', '0.5', '--duration', '6', '--interval', '0.5', '--concurrency', '32', '--seed', '6',
      '--directory-ids', idsFile, '--transitions', transitionsFile]);
    assert.equal(simulated.code, 0, `simulate: ${simulated.stdout} ${simulated.stderr}`);
    const summary = JSON.parse(simulated.stdout);
    console.log(`   simulate: ${JSON.stringify({ enrolled: summary.enrolled, linked: summary.linked,
      checkinsSent: summary.checkinsSent, accepted: summary.accepted, errors: summary.errors,
      transitions: summary.transitions, enrollSeconds: summary.enrollSeconds,
      checkinSeconds: summary.checkinSeconds, checkinsPerSecond: summary.checkinsPerSecond })}`);
    assert.equal(summary.enrolled, kDevices, JSON.stringify(summary));
    assert.equal(summary.linked, kDevices, JSON.stringify(summary));
    assert.equal(summary.errors, 0, JSON.stringify(summary));
    assert.equal(summary.notAccepted, 0, JSON.stringify(summary));
    const transitions = fs.readFileSync(transitionsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(transitions.length, summary.transitions);
    const byDevice = new Map(directoryIds.map((id) => [id, []]));
    for (const t of transitions) {
      assert.ok(byDevice.has(t.directoryDeviceId), `a transition of an unknown device: ${JSON.stringify(t)}`);
      byDevice.get(t.directoryDeviceId).push(t);
    }
    for (const [id, list] of byDevice) {
      assert.ok(list.length >= 1, `device ${id} changed state at least once`);
      for (let k = 1; k < list.length; k++) assert.ok(list[k].sequence > list[k - 1].sequence, `transitions in order for ${id}`);
    }
    const changedTwice = [...byDevice.values()].filter((l) => l.length >= 2).length;
    const endingNonCompliant = [...byDevice.values()].filter((l) => !l[l.length - 1].compliant).length;
    console.log(`   ${transitions.length} transitions; ${changedTwice} devices changed more than once; ${endingNonCompliant} end non-compliant`);
    assert.ok(changedTwice >= kDevices / 20 && endingNonCompliant > 0 && endingNonCompliant < kDevices,
              'the simulation exercised back-and-forth changes');
    // The UEM side first: one partner update per transition, numbered 1..n per device.
    const uemDevices = await uemAdmin('GET', '/uem/v1/devices');
    assert.equal(uemDevices.status, 200, uemDevices.text);
    const partnerSequences = new Map(uemDevices.json.value.map((d) => [d.directoryDeviceId, d.partnerSequence]));
    for (const [id, list] of byDevice) {
      assert.equal(partnerSequences.get(id), list.length, `UEM partner sequence of ${id} = its number of transitions`);
    }

    const uemMetrics = async () => (await uemAdmin('GET', '/metrics')).text;
    const waitedOut = kOutageMs - (performance.now() - stoppedAt);
    if (waitedOut > 0) await sleep(waitedOut);
    // Every transition is an undelivered outbox row now (the gauge is refreshed by the connector's
    // retry loop, whose backoff reaches 5 s: give it that long to catch up).
    const backlogBefore = transitions.length;
    let backlogGauge = null;
    for (const deadline = performance.now() + 6000; performance.now() < deadline; await sleep(250)) {
      backlogGauge = metricSum(await uemMetrics(), 'gatehouse_partner_outbox_backlog');
      if (backlogGauge === backlogBefore) break;
    }
    console.log(`   UEM outbox backlog while the IdP is down: ${backlogGauge} (transitions: ${backlogBefore})`);
    assert.equal(backlogGauge, backlogBefore, 'one outbox row per transition, none delivered yet');

    step('   restart the IdP (same data folder, same port) and wait for delivery');
    idp = await startNode({ binary: args.gatehouse, role: 'idp', port: idpPort, dataDir: idpDir,
                            extraArgs: idpArgs });
    const restartedAt = performance.now();
    figure(`IdP down for ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s`);
    idpAdmin = adminClient(idp.url, await adminToken(idp.url, 'gatehouse-bootstrap', idpSecret));
    let deliveredMs = null;
    while (deliveredMs === null) {
      const idpText = (await idpAdmin('GET', '/metrics')).text;
      const received = metricSum(idpText, 'gatehouse_partner_updates_total') ?? 0;
      const backlog = metricSum(await uemMetrics(), 'gatehouse_partner_outbox_backlog');
      if (received >= backlogBefore && backlog === 0) {
        deliveredMs = performance.now() - restartedAt;
        break;
      }
      if (performance.now() - restartedAt > 60000) {
        throw new Error(`not delivered 60 s after the restart: IdP received ${received} of ${backlogBefore}, UEM backlog ${backlog}`);
      }
      await sleep(250);
    }
    figure(`backlog of ${backlogBefore} updates delivered ${(deliveredMs / 1000).toFixed(1)} s after the restart`);
    const idpMetrics = (await idpAdmin('GET', '/metrics')).text;
    const applied = metricSum(idpMetrics, 'gatehouse_partner_updates_total', { status: 'applied' });
    assert.equal(applied, backlogBefore, `every update applied (IdP counters:\n${idpMetrics.split('\n').filter((l) => l.startsWith('gatehouse_partner_updates_total')).join('\n')})`);

    step('   check every device: final record = its last transition; audited sequences 1..n in order');
    const records = new Map();
    for (const d of await listAll(idpAdmin, '/v1.0/devices?$top=1000')) records.set(d.deviceId, d);
    let checkedRecords = 0;
    for (const [id, list] of byDevice) {
      const last = list[list.length - 1];
      const record = records.get(id);
      assert.ok(record, `directory device ${id}`);
      const gc = record.gatehouseCompliance ?? {};
      assert.equal(record.isCompliant, last.compliant, `isCompliant of ${id}: ${JSON.stringify(record)} vs ${JSON.stringify(last)}`);
      assert.equal(gc.complianceState, last.complianceState, `complianceState of ${id}`);
      assert.equal(gc.sequence, list.length, `partner sequence of ${id} = its number of transitions`);
      checkedRecords++;
    }
    const audits = await listAll(idpAdmin, `/v1.0/auditLogs/directoryAudits?$top=1000&$filter=${
      encodeURIComponent("activityDisplayName eq 'Update device compliance'")}`);
    audits.sort((a, b) => Number(a.id) - Number(b.id));
    const history = new Map();
    for (const a of audits) {
      const detail = Object.fromEntries((a.additionalDetails ?? []).map((kv) => [kv.key, kv.value]));
      if (!byDevice.has(detail.deviceId)) continue;
      if (!history.has(detail.deviceId)) history.set(detail.deviceId, []);
      history.get(detail.deviceId).push({ sequence: Number(detail.sequence), previous: Number(detail.previousSequence),
                                          state: detail.complianceState, compliant: detail.compliant === 'true' });
    }
    let auditedUpdates = 0;
    for (const [id, list] of byDevice) {
      const seen = history.get(id) ?? [];
      assert.deepEqual(seen.map((h) => h.sequence), list.map((_, k) => k + 1),
                       `device ${id}: every update applied once, in order`);
      seen.forEach((h, k) => {
        assert.equal(h.previous, k, `device ${id}: update ${h.sequence} applied on top of ${k}`);
        assert.equal(h.state, list[k].complianceState, `device ${id}: update ${k + 1} is transition ${k + 1}`);
        assert.equal(h.compliant, list[k].compliant, `device ${id}: update ${k + 1} compliant flag`);
      });
      auditedUpdates += seen.length;
    }
    figure(`${checkedRecords} device records and ${auditedUpdates} audited updates checked; none lost, none out of order`);
  } catch (error) {
    if (agentRun) console.error(`agent stderr:\n${agentRun.stderr}`);
    for (const [name, node] of [['idp', idp], ['uem', uem]]) {
      if (node) console.error(`${name} stderr (last lines):\n${node.stderr().split('\n').slice(-30).join('\n')}`);
    }
    throw error;
  } finally {
    const stopping = performance.now();
    const agentStopped = agentRun ? stopProcess(agentRun.child).then((code) => {
      console.log(`   agent run stopped (exit ${code}) ${(performance.now() - stopping).toFixed(0)} ms after SIGTERM`);
    }) : null;
    await Promise.all([agentStopped, uem?.stop(), idp?.stop()]);
  }
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`PASS seed flow in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

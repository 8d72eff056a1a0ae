// Cedar peer for the Gatehouse Conditional Access benchmark (issue 2 item 9).
//
// Reads the tenant bundle written by `gatehouse_tenant_gen` (the same one `gatehouse evaluate`
// and ca_bench use), translates its Graph conditional access policies into Cedar (README.md in
// this folder documents the translation and its simplifications), then evaluates the same
// sign-ins with @cedar-policy/cedar-wasm, passing the request's entities with every call as a
// real deployment would. Prints decisions/s and p50/p99 latency on one core (Node is single
// threaded), and, given the CLI's decisions for the same sign-ins, how often the two agree.
//
// usage: node cedar_bench.mjs --tenant DIR --signins FILE [--count N] [--warmup N]
//                             [--stateless-count N] [--gatehouse-decisions FILE]
//                             [--emit-policies FILE] [--json]
import fs from 'node:fs';
import path from 'node:path';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

// ---------------------------------------------------------------------------------------------
// Arguments and bundle reading.

function parseArgs(argv) {
  const args = {count: 20000, warmup: 2000, statelessCount: 300};
  for (let i = 2; i < argv.length; ++i) {
    const key = argv[i];
    const next = () => argv[++i];
    if (key === '--tenant') args.tenant = next();
    else if (key === '--signins') args.signins = next();
    else if (key === '--count') args.count = Number(next());
    else if (key === '--warmup') args.warmup = Number(next());
    else if (key === '--stateless-count') args.statelessCount = Number(next());
    else if (key === '--gatehouse-decisions') args.gatehouseDecisions = next();
    else if (key === '--emit-policies') args.emitPolicies = next();
    else if (key === '--json') args.json = true;
    else throw new Error(`unknown argument ${key}`);
  }
  if (!args.tenant || !args.signins) {
    throw new Error('usage: node cedar_bench.mjs --tenant DIR --signins FILE [--count N]');
  }
  return args;
}

// Graph exports may be UTF-16 with a BOM or UTF-8 with a BOM.
function readJson(file) {
  const bytes = fs.readFileSync(file);
  let text;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = bytes.subarray(2).toString('utf16le');
  else text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  return JSON.parse(text);
}

function objects(doc) {
  if (doc === undefined || doc === null) return [];
  if (Array.isArray(doc)) return doc;
  if (Array.isArray(doc.value)) return doc.value;
  return [doc];
}

function jsonFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.json')).sort()
      .map((f) => path.join(dir, f));
}

// The first `n` non-empty lines of a (possibly huge) file.
function readFirstLines(file, n) {
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const lines = [];
  let rest = '';
  try {
    while (lines.length < n) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      const parts = (rest + chunk.toString('utf8', 0, read)).split('\n');
      rest = parts.pop();
      for (const l of parts) if (l.trim() && lines.length < n) lines.push(l);
    }
    if (rest.trim() && lines.length < n) lines.push(rest);
  } finally {
    fs.closeSync(fd);
  }
  return lines;
}

const lc = (s) => String(s ?? '').toLowerCase();

function readBundle(dir) {
  const optional = (name) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? objects(readJson(file)) : [];
  };
  const policies = jsonFiles(path.join(dir, 'conditionalAccess', 'policies'))
      .flatMap((f) => objects(readJson(f)));
  const locations = jsonFiles(path.join(dir, 'conditionalAccess', 'namedLocations'))
      .flatMap((f) => objects(readJson(f)));
  const users = optional('users.json');
  const groups = optional('groups.json');
  const devices = optional('devices.json');
  let roles = fs.existsSync(path.join(dir, 'roles.json')) ? readJson(path.join(dir, 'roles.json'))
                                                          : [];
  if (!Array.isArray(roles) && !roles.value) {
    roles = Object.entries(roles).map(([roleTemplateId, members]) => ({roleTemplateId, members}));
  }
  return {policies, locations, users, groups, roles: objects(roles), devices};
}

// ---------------------------------------------------------------------------------------------
// The directory side: what an IdP would hand Cedar for each request.

function buildDirectory(bundle) {
  const users = new Map();
  for (const u of bundle.users) {
    let guestType = 'none';
    if (lc(u.userType) === 'guest') guestType = u.externalUserType || 'internalGuest';
    users.set(lc(u.id), {guestType});
  }
  const groupIds = new Set(bundle.groups.map((g) => lc(g.id)));
  const directGroupsOf = new Map();  // user or group id -> groups it is a direct member of
  for (const g of bundle.groups) {
    for (const m of g.members || []) {
      const id = lc(typeof m === 'string' ? m : m.id);
      if (!directGroupsOf.has(id)) directGroupsOf.set(id, []);
      directGroupsOf.get(id).push(lc(g.id));
    }
  }
  const rolesOf = new Map();
  for (const r of bundle.roles) {
    for (const m of r.members || []) {
      const id = lc(typeof m === 'string' ? m : m.id);
      if (!rolesOf.has(id)) rolesOf.set(id, []);
      rolesOf.get(id).push(lc(r.roleTemplateId));
    }
  }
  const transitive = new Map();
  const groupsOfUser = (userId) => {
    if (transitive.has(userId)) return transitive.get(userId);
    const seen = new Set();
    const stack = [...(directGroupsOf.get(userId) || [])];
    while (stack.length) {
      const g = stack.pop();
      if (seen.has(g) || !groupIds.has(g)) continue;
      seen.add(g);
      for (const parent of directGroupsOf.get(g) || []) stack.push(parent);
    }
    const list = [...seen];
    transitive.set(userId, list);
    return list;
  };
  const devices = new Map(bundle.devices.map((d) => [lc(d.deviceId), d]));
  return {users, groupsOfUser, rolesOf, devices};
}

// Microsoft's app groups, as in src/ca/well_known_apps.cc.
const OFFICE365 = new Set([
  '67ad5377-2d78-4ac2-a867-6300cda00e85', '00000002-0000-0ff1-ce00-000000000000',
  '00000003-0000-0ff1-ce00-000000000000', '00000004-0000-0ff1-ce00-000000000000',
  '00000005-0000-0ff1-ce00-000000000000', 'cc15fd57-2c6c-4117-a88c-83b1d56b4bbe',
  '1fec8e78-bce4-4aaf-ab1b-5451cc387264', '09abbdfd-ed23-44ee-a2d9-a627aa1c90f3',
  'c9a559d2-7aab-4f13-a6ed-e7e9c52aec87', 'cf53fce8-def6-4aeb-8d30-b158e7b1cf83',
  'd3590ed6-52b3-4102-aeff-aad2292ab01c', '4345a7b9-9a63-4910-a426-35363201d503',
]);
const ADMIN_PORTALS = new Set([
  'c44b4083-3bb0-49c1-b47d-974e53cbdf3c', '00000006-0000-0ff1-ce00-000000000000',
  '497effe9-df71-4043-a8bb-14cf78c4b63b', '80ccca67-54bd-44ab-8625-4b79c4dc7775',
  '0000000a-0000-0000-c000-000000000000', '2793995e-0a7d-40d7-bd35-6968ba142197',
]);

// ---------------------------------------------------------------------------------------------
// Policy translation: Graph conditionalAccessPolicy -> Cedar text.

const str = (s) => JSON.stringify(String(s));
const set = (items) => `[${items.join(', ')}]`;
// Long || chains (a location with 120 CIDRs) are built as balanced trees: cedar-wasm recurses
// once per operator and a flat chain of a hundred terms overflows its stack.
const balanced = (terms, op) => {
  if (terms.length <= 4) return `(${terms.join(` ${op} `)})`;
  const half = Math.ceil(terms.length / 2);
  return `(${balanced(terms.slice(0, half), op)} ${op} ${balanced(terms.slice(half), op)})`;
};
const anyOf = (terms) => (terms.length === 0 ? 'false' : terms.length === 1 ? terms[0]
                                                       : balanced(terms, '||'));
const allOf = (terms) => (terms.length === 0 ? 'true' : terms.length === 1 ? terms[0]
                                                      : balanced(terms, '&&'));
const ids = (list) => (list || []).map(lc);
const tokens = (v) => (v === undefined || v === null ? []
                       : Array.isArray(v) ? v : String(v).split(',')).map((t) => t.trim())
                      .filter((t) => t && lc(t) !== 'unknownfuturevalue' && lc(t) !== 'none');

const MFA = '(context.authMethods.containsAny(["windowsHelloForBusiness", "fido2", ' +
    '"x509CertificateMultiFactor", "deviceBasedPush", "temporaryAccessPassOneTime", ' +
    '"temporaryAccessPassMultiUse", "federatedMultiFactor"]) || ' +
    '(context.authMethods.contains("password") && context.authMethods.containsAny([' +
    '"microsoftAuthenticatorPush", "softwareOath", "hardwareOath", "x509CertificateSingleFactor", ' +
    '"x509CertificateMultiFactor", "sms", "voice"])))';
const STRENGTHS = {
  '00000000-0000-0000-0000-000000000002': MFA,
  '00000000-0000-0000-0000-000000000003': 'context.authMethods.containsAny(["windowsHelloForBusiness", ' +
      '"fido2", "x509CertificateMultiFactor", "deviceBasedPush"])',
  '00000000-0000-0000-0000-000000000004': 'context.authMethods.containsAny(["windowsHelloForBusiness", ' +
      '"fido2", "x509CertificateMultiFactor"])',
};

class Translator {
  constructor(locations) {
    this.locations = new Map();
    this.trusted = [];
    for (const l of locations) {
      const expr = this.locationExpr(l);
      this.locations.set(lc(l.id), expr);
      if (l.isTrusted) this.trusted.push(expr);
    }
    this.simplifications = new Set();
  }

  locationExpr(l) {
    if (Array.isArray(l.ipRanges)) {
      return anyOf(l.ipRanges.map((r) => `context.ip.isInRange(ip(${str(r.cidrAddress)}))`));
    }
    if (Array.isArray(l.countriesAndRegions)) {
      const countries = l.countriesAndRegions.map((c) => str(String(c).toUpperCase()));
      const terms = [`${set(countries)}.contains(context.country)`];
      if (l.includeUnknownCountriesAndRegions) terms.push('context.country == ""');
      return anyOf(terms);
    }
    return 'false';  // compliant network: never matched (as in Gatehouse)
  }

  users(u) {
    const include = [], exclude = [];
    const includeUsers = ids(u.includeUsers);
    if (includeUsers.includes('all')) include.push('true');
    const named = includeUsers.filter((id) => id !== 'all' && id !== 'none' &&
                                              id !== 'guestsorexternalusers');
    if (named.length) include.push(`principal in ${set(named.map((id) => `User::${str(id)}`))}`);
    if (ids(u.includeGroups).length) {
      include.push(`principal in ${set(ids(u.includeGroups).map((id) => `Group::${str(id)}`))}`);
    }
    if (ids(u.includeRoles).length) {
      include.push(`principal in ${set(ids(u.includeRoles).map((id) => `Role::${str(id)}`))}`);
    }
    const guests = (g) => {
      const types = tokens(g?.guestOrExternalUserTypes);
      if (!types.length) return null;
      if (g.externalTenants && lc(g.externalTenants.membershipKind) === 'enumerated') {
        this.simplifications.add('guest targeting limited to enumerated tenants is ignored');
      }
      return `${set(types.map(str))}.contains(principal.guestType)`;
    };
    const ig = guests(u.includeGuestsOrExternalUsers);
    if (ig) include.push(ig);
    const excludeUsers = ids(u.excludeUsers).filter((id) => id !== 'guestsorexternalusers');
    if (excludeUsers.length) {
      exclude.push(`principal in ${set(excludeUsers.map((id) => `User::${str(id)}`))}`);
    }
    if (ids(u.excludeGroups).length) {
      exclude.push(`principal in ${set(ids(u.excludeGroups).map((id) => `Group::${str(id)}`))}`);
    }
    if (ids(u.excludeRoles).length) {
      exclude.push(`principal in ${set(ids(u.excludeRoles).map((id) => `Role::${str(id)}`))}`);
    }
    const eg = guests(u.excludeGuestsOrExternalUsers);
    if (eg) exclude.push(eg);
    const terms = [anyOf(include)];
    if (exclude.length) terms.push(`!(${anyOf(exclude)})`);
    return allOf(terms);
  }

  applications(a) {
    const include = [], exclude = [];
    const inc = ids(a.includeApplications);
    if (inc.includes('all')) include.push('true');
    if (inc.includes('office365')) include.push('resource in AppGroup::"Office365"');
    if (inc.includes('microsoftadminportals')) {
      include.push('resource in AppGroup::"MicrosoftAdminPortals"');
    }
    const apps = inc.filter((id) => !['all', 'none', 'office365', 'microsoftadminportals'].includes(id));
    if (apps.length) include.push(`resource in ${set(apps.map((id) => `App::${str(id)}`))}`);
    for (const action of tokens(a.includeUserActions)) {
      include.push(`resource == UserAction::${str(lc(action))}`);
    }
    const exc = ids(a.excludeApplications);
    if (exc.includes('office365')) exclude.push('resource in AppGroup::"Office365"');
    if (exc.includes('microsoftadminportals')) {
      exclude.push('resource in AppGroup::"MicrosoftAdminPortals"');
    }
    const excApps = exc.filter((id) => !['office365', 'microsoftadminportals'].includes(id));
    if (excApps.length) exclude.push(`resource in ${set(excApps.map((id) => `App::${str(id)}`))}`);
    const terms = [anyOf(include)];
    if (exclude.length) terms.push(`!(${anyOf(exclude)})`);
    return allOf(terms);
  }

  platforms(p) {
    if (!p) return 'true';
    const inc = tokens(p.includePlatforms).map(lc), exc = tokens(p.excludePlatforms).map(lc);
    if (!inc.length) return 'true';
    const terms = [inc.includes('all') ? 'true' : `${set(inc.map(str))}.contains(context.platform)`];
    if (exc.includes('all')) terms.push('false');
    else if (exc.length) terms.push(`!(${set(exc.map(str))}.contains(context.platform))`);
    return allOf(terms);
  }

  locationsCondition(l) {
    if (!l) return 'true';
    const inc = ids(l.includeLocations), exc = ids(l.excludeLocations);
    if (!inc.length && !exc.length) return 'true';
    const where = (list) => list.map((id) => {
      if (id === 'all') return 'true';
      if (id === 'alltrusted') return anyOf(this.trusted);
      return this.locations.get(id) ?? 'false';
    });
    const terms = [anyOf(where(inc))];
    if (exc.length) terms.push(`!(${anyOf(where(exc))})`);
    return allOf(terms);
  }

  // Device filter rule (the subset Graph exports use: property -op value joined by -and / -or,
  // no parentheses) over context.device, whose string values are lower-cased and "" when
  // unknown, so Entra's null semantics fall out: positive operators false, negative true.
  deviceFilter(rule) {
    const clauses = rule.split(/\s+-or\s+/i).map((orPart) => allOf(orPart.split(/\s+-and\s+/i)
        .map((term) => {
          const m = term.trim().match(/^device\.(\w+)\s+-(\w+)\s+(.+)$/);
          if (!m) throw new Error(`device filter term not translated: ${term}`);
          let [, prop, op, value] = m;
          value = value.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
          const lhs = `context.device.${prop}`;
          switch (op.toLowerCase()) {
            case 'eq': return `${lhs} == ${str(value)}`;
            case 'ne': return `${lhs} != ${str(value)}`;
            case 'startswith': return `${lhs} like ${str(value + '*')}`;
            case 'notstartswith': return `!(${lhs} like ${str(value + '*')})`;
            case 'contains': return `${lhs} like ${str('*' + value + '*')}`;
            case 'notcontains': return `!(${lhs} like ${str('*' + value + '*')})`;
            default: throw new Error(`device filter operator not translated: ${op}`);
          }
        })));
    return anyOf(clauses);
  }

  grant(g) {
    const terms = [];
    for (const c of tokens(g?.builtInControls).map(lc)) {
      switch (c) {
        case 'block': return null;  // no control can satisfy a block
        case 'mfa': terms.push(MFA); break;
        case 'compliantdevice': terms.push('context.device.isCompliant == "true"'); break;
        case 'domainjoineddevice': terms.push('context.device.trustType == "serverad"'); break;
        case 'approvedapplication': terms.push('context.approvedClientApp'); break;
        case 'compliantapplication': terms.push('context.appProtectionPolicy'); break;
        case 'passwordchange': terms.push('context.passwordChanged'); break;
        default:
          this.simplifications.add(`grant control ${c} is never satisfied`);
          terms.push('false');
      }
    }
    if (g?.authenticationStrength?.id) {
      terms.push(STRENGTHS[lc(g.authenticationStrength.id)] ?? 'false');
    }
    for (const t of g?.termsOfUse || []) terms.push(`context.termsOfUse.contains(${str(lc(t))})`);
    if (!terms.length) return 'true';
    return lc(g.operator) === 'and' ? allOf(terms) : anyOf(terms);
  }

  // Returns {id, text, kind} or null for a disabled policy.
  policy(p, index) {
    const state = lc(p.state);
    if (state === 'disabled') return null;
    const c = p.conditions || {};
    const applies = [this.users(c.users || {}), this.applications(c.applications || {})];
    const clientApps = tokens(c.clientAppTypes).map(lc).filter((t) => t !== 'all')
        .map((t) => (t === 'eassupported' ? 'exchangeactivesync' : t));
    if (clientApps.length) applies.push(`${set([...new Set(clientApps)].map(str))}.contains(context.clientAppType)`);
    applies.push(this.platforms(c.platforms));
    applies.push(this.locationsCondition(c.locations));
    const filter = c.devices?.deviceFilter;
    if (filter?.rule) {
      const match = this.deviceFilter(filter.rule);
      applies.push(lc(filter.mode) === "include" ? match : `!(${match})`);
    }
    const risk = (key, attr) => {
      const levels = tokens(c[key]).map(lc);
      if (levels.length) applies.push(`${set(levels.map(str))}.contains(context.${attr})`);
    };
    risk('signInRiskLevels', 'signInRisk');
    risk('userRiskLevels', 'userRisk');
    const flows = tokens(c.authenticationFlows?.transferMethods).map(lc);
    if (flows.length) applies.push(`${set(flows.map(str))}.contains(context.transferMethod)`);

    const id = `p${String(index).padStart(3, '0')}`;
    const when = applies.filter((t) => t !== 'true');
    const body = when.length ? when.join('\n    && ') : 'true';
    const met = p.grantControls ? this.grant(p.grantControls) : 'true';
    const block = met === null;
    const noGrant = met === 'true';
    const annotations = `@graphId(${str(p.id)})\n@displayName(${str(p.displayName)})\n` +
        `@state(${str(state)})\n`;
    const head = 'principal, action == Action::"signIn", resource';
    let text, kind;
    if (state === 'enabled' && !noGrant) {
      kind = block ? 'block' : 'controls';
      text = `${annotations}forbid (${head})\nwhen {\n    ${body}\n}` +
          (block ? ';' : `\nunless { ${met} };`);
    } else {
      // Report-only policies and session-only policies cannot deny: they are permits, evaluated
      // like every other policy, whose firing Cedar reports in diagnostics.reason (when allowed).
      kind = state === 'enabled' ? 'session' : 'reportOnly';
      const cond = block || noGrant ? body : `(${body})\n    && !(${met})`;
      text = `${annotations}permit (${head})\nwhen {\n    ${cond}\n};`;
    }
    return {id, text, kind};
  }
}

// ---------------------------------------------------------------------------------------------
// Requests.

const PLATFORMS = new Map([['windows', 'windows'], ['ios', 'ios'], ['android', 'android'],
  ['macos', 'macos'], ['linux', 'linux'], ['windowsphone', 'windowsphone']]);

function buildRequest(signin, dir) {
  const userId = lc(signin.signInIdentity.userId);
  const user = dir.users.get(userId) || {guestType: 'none'};
  const appId = lc(signin.signInContext.includeApplications[0]);
  const cond = signin.signInConditions || {};
  const session = signin.session || {};
  const device = session.deviceId ? dir.devices.get(lc(session.deviceId)) : undefined;
  const trust = lc(device?.trustType);
  const trustType = trust === 'azuread' ? 'azuread' : trust === 'serverad' ? 'serverad'
                  : device ? 'workplace' : '';
  const visible = device && (device.isManaged || device.isCompliant || trustType === 'serverad');
  const ext = (device?.extensionAttributes || {});
  const appParents = [];
  if (OFFICE365.has(appId)) appParents.push({type: 'AppGroup', id: 'Office365'});
  if (ADMIN_PORTALS.has(appId)) appParents.push({type: 'AppGroup', id: 'MicrosoftAdminPortals'});
  const entities = [
    {
      uid: {type: 'User', id: userId},
      attrs: {guestType: user.guestType},
      parents: [...dir.groupsOfUser(userId).map((g) => ({type: 'Group', id: g})),
        ...(dir.rolesOf.get(userId) || []).map((r) => ({type: 'Role', id: r}))],
    },
    {uid: {type: 'App', id: appId}, attrs: {}, parents: appParents},
  ];
  const context = {
    platform: PLATFORMS.get(lc(cond.devicePlatform)) || 'unknown',
    clientAppType: lc(cond.clientAppType || 'all') === 'eassupported' ? 'exchangeactivesync'
                                                                     : lc(cond.clientAppType || 'all'),
    country: String(cond.country || '').toUpperCase(),
    ip: {__extn: {fn: 'ip', arg: cond.ipAddress || '0.0.0.0'}},
    signInRisk: lc(cond.signInRiskLevel || 'none'),
    userRisk: lc(cond.userRiskLevel || 'none'),
    transferMethod: lc(cond.authenticationFlow?.transferMethod || 'none'),
    authMethods: session.authenticationMethods || [],
    approvedClientApp: !!session.approvedClientApp,
    appProtectionPolicy: !!session.appProtectionPolicy,
    passwordChanged: !!session.passwordChanged,
    termsOfUse: (session.satisfiedTermsOfUse || []).map(lc),
    device: {
      present: !!device,
      isCompliant: device ? String(!!device.isCompliant) : '',
      trustType,
      deviceOwnership: lc(device?.deviceOwnership),
      operatingSystem: lc(device?.operatingSystem),
      operatingSystemVersion: lc(device?.operatingSystemVersion),
      manufacturer: lc(device?.manufacturer),
      model: lc(device?.model),
      extensionAttribute1: visible ? lc(ext.extensionAttribute1) : '',
    },
  };
  return {
    principal: {type: 'User', id: userId},
    action: {type: 'Action', id: 'signIn'},
    resource: {type: 'App', id: appId},
    context,
    entities,
  };
}

// ---------------------------------------------------------------------------------------------

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
}

function main() {
  const args = parseArgs(process.argv);
  const t0 = process.hrtime.bigint();
  const bundle = readBundle(args.tenant);
  const dir = buildDirectory(bundle);
  const translator = new Translator(bundle.locations);
  const policies = {baseline: '@displayName("baseline")\npermit (principal, action == Action::"signIn", resource);'};
  const kinds = new Map();
  bundle.policies.forEach((p, i) => {
    const t = translator.policy(p, i);
    if (!t) return;
    policies[t.id] = t.text;
    kinds.set(t.id, t.kind);
  });
  if (args.emitPolicies) {
    fs.writeFileSync(args.emitPolicies, Object.values(policies).join('\n\n') + '\n');
  }
  const parsed = cedar.preparsePolicySet('tenant', {staticPolicies: policies});
  if (parsed.type !== 'success') {
    console.error(JSON.stringify(parsed.errors, null, 2));
    process.exit(1);
  }
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const lines = readFirstLines(args.signins, args.count);
  const count = lines.length;
  const tb = process.hrtime.bigint();
  const requests = lines.slice(0, count).map((l) => buildRequest(JSON.parse(l), dir));
  const buildUs = Number(process.hrtime.bigint() - tb) / 1e3 / count;

  const decide = (answer) => {
    if (answer.type !== 'success') throw new Error(JSON.stringify(answer.errors));
    const r = answer.response;
    if (r.diagnostics.errors.length) {
      throw new Error(`policy evaluation errors: ${JSON.stringify(r.diagnostics.errors[0])}`);
    }
    if (r.decision === 'allow') return 'allow';
    return r.diagnostics.reason.some((id) => kinds.get(id) === 'block') ? 'block' : 'interrupt';
  };
  const call = (req) => ({
    principal: req.principal, action: req.action, resource: req.resource, context: req.context,
    entities: req.entities, preparsedPolicySetId: 'tenant',
  });

  // Warm up (JIT, wasm tiering), then time every decision.
  for (let i = 0; i < Math.min(args.warmup, count); ++i) decide(cedar.statefulIsAuthorized(call(requests[i])));
  const samples = new Float64Array(count);
  const decisions = new Array(count);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; ++i) {
    const a = process.hrtime.bigint();
    const answer = cedar.statefulIsAuthorized(call(requests[i]));
    const b = process.hrtime.bigint();
    samples[i] = Number(b - a);
    decisions[i] = decide(answer);
  }
  const totalSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sorted = Float64Array.from(samples).sort();

  // The stateless API re-parses the 195 policies on every call: measured on a few requests.
  const statelessCount = Math.min(args.statelessCount, count);
  const ts = process.hrtime.bigint();
  for (let i = 0; i < statelessCount; ++i) {
    const req = requests[i];
    decide(cedar.isAuthorized({
      principal: req.principal, action: req.action, resource: req.resource,
      context: req.context, entities: req.entities, policies: {staticPolicies: policies},
    }));
  }
  const statelessUs = Number(process.hrtime.bigint() - ts) / 1e3 / Math.max(statelessCount, 1);

  let agreement = null;
  if (args.gatehouseDecisions) {
    const gh = readFirstLines(args.gatehouseDecisions, count);
    let same = 0, compared = 0, sameAllow = 0;
    const confusion = {};
    for (let i = 0; i < Math.min(count, gh.length); ++i) {
      const g = JSON.parse(gh[i]).decision;
      compared++;
      if (g === decisions[i]) same++;
      if ((g === 'allow') === (decisions[i] === 'allow')) sameAllow++;
      const key = `${g}->${decisions[i]}`;
      confusion[key] = (confusion[key] || 0) + 1;
    }
    agreement = {compared, same_outcome: same / compared, same_allow_deny: sameAllow / compared,
      confusion};
  }
  const tally = decisions.reduce((m, d) => ((m[d] = (m[d] || 0) + 1), m), {});
  const result = {
    cedar_version: cedar.getCedarVersion(),
    policies_translated: Object.keys(policies).length - 1,
    policies_in_bundle: bundle.policies.length,
    load_and_translate_s: loadSeconds,
    sign_ins: count,
    decisions_per_s: count / totalSeconds,
    p50_us: percentile(sorted, 0.5) / 1e3,
    p90_us: percentile(sorted, 0.9) / 1e3,
    p99_us: percentile(sorted, 0.99) / 1e3,
    mean_us: totalSeconds * 1e6 / count,
    request_build_us: buildUs,
    stateless_isAuthorized_us: statelessUs,
    outcomes: tally,
    simplifications: [...translator.simplifications],
    agreement,
  };
  if (args.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`Cedar ${result.cedar_version} (cedar-wasm), ${result.policies_translated} ` +
        `policies translated from ${result.policies_in_bundle}`);
    console.log(`  statefulIsAuthorized: ${result.decisions_per_s.toFixed(0)} decisions/s, ` +
        `p50 ${result.p50_us.toFixed(1)} us, p99 ${result.p99_us.toFixed(1)} us over ${count}`);
    console.log(`  isAuthorized (policies re-parsed per call): ${statelessUs.toFixed(0)} us/decision`);
    console.log(`  request build (JS, excluded): ${buildUs.toFixed(1)} us; outcomes ${JSON.stringify(tally)}`);
    if (agreement) console.log(`  agreement with gatehouse: ${JSON.stringify(agreement)}`);
  }
}

main();

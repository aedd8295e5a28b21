// terraform/checks/lib/policy.js
// The rules of issue 6 and docs/architecture.md, checked on the evaluated configuration: the security-group
// matrix (exactly), no open ingress, the operator CIDR validation, IMDSv2, encrypted gp3 roots, the pinned
// AMI lookup, SecureString write-only secrets, no secrets in user_data or outputs, least-privilege IAM, and
// the documentation conventions (typed, described variables; described outputs).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { Sym, Unknown, expressions, evaluate, evaluateValue, references } = require('./expr');
const tiers = require('./policy-tiers');
const loadtest = require('./policy-loadtest');

const ROLES = ['api', 'db', 'monitor', 'loadgen'];
const OPERATOR = '198.51.100.0/24'; // a documentation range standing in for var.operator_cidr
const WORLD = ['0.0.0.0/0', '::/0'];

// docs/architecture.md: target role (or "alb", the API's load balancer), port, source (a role or "operator").
// The load generator reaches the API only through the load balancer. With db_mode = "rds" there is no db host:
// the "db" group is the RDS instance's, and the monitor runs mysqld_exporter against it.
const INGRESS_COMMON = [
  ['alb', 5000, 'loadgen'], ['api', 5000, 'alb'], ['api', 8000, 'alb'],
  ['api', 8000, 'monitor'], ['api', 9100, 'monitor'], ['db', 3306, 'api'],
  ['loadgen', 9464, 'monitor'], ['loadgen', 9100, 'monitor'],
  ['monitor', 9100, 'monitor'], ['monitor', 9090, 'operator'], ['monitor', 3000, 'operator'],
  ['monitor', 9090, 'loadgen'],
];
const INGRESS = {
  instance: [...INGRESS_COMMON, ['db', 9104, 'monitor'], ['db', 9100, 'monitor']],
  rds: [...INGRESS_COMMON, ['db', 3306, 'monitor'], ['monitor', 9104, 'monitor'], ['db', 3306, 'loadgen']],
};
// The roles that are EC2 hosts in each db_mode.
const HOSTS = { instance: ROLES, rds: ROLES.filter((r) => r !== 'db') };
const SSH = (mode) => HOSTS[mode].map((r) => [r, 22, 'operator']);
// Egress: the mirror of every internal ingress rule, HTTPS to AWS's public endpoints (documented in
// security-groups.tf: SSM, ssmmessages, ec2messages and EC2 have no fixed address range), and HTTP to Ubuntu's
// archive and security mirrors, which apt uses over plain HTTP (unattended security updates). Hosts only.
const EGRESS = (mode) => [
  ...INGRESS[mode].filter(([, , from]) => from !== 'operator').map(([to, port, from]) => [from, port, to]),
  ...HOSTS[mode].map((r) => [r, 443, 'world']),
  ...HOSTS[mode].map((r) => [r, 80, 'world']),
];

// Actions that have no resource-level permissions, so "Resource": "*" is the only form AWS accepts.
const RESOURCE_STAR_OK = new Set([
  'ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel', 'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages',
  'ec2messages:SendReply', 'ec2:DescribeInstances', 'ec2:DescribeAvailabilityZones',
  'ssm:GetCommandInvocation', 'ssm:ListCommandInvocations',
]);
// What the SSM agent needs to receive Run Command documents.
const RUN_COMMAND = ['ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint',
  'ec2messages:GetMessages', 'ec2messages:SendReply'];
const SESSION_MANAGER = ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'];
// Parameters each role may read (below /<project>/), from docs/architecture.md. With RDS the monitor creates
// the accounts, so it reads the master password and the three it sets, and the load generator reads the stress
// user's (its SQL stress, as a user without privileges, is db-stress on RDS).
const PARAMETERS = {
  instance: { api: ['db/app-password'], db: ['db/app-password', 'db/exporter-password'], monitor: ['monitor/*'], loadgen: [] },
  rds: { api: ['db/app-password'], db: ['db/app-password', 'db/exporter-password'], monitor: ['monitor/*', 'db/master-password', 'db/app-password', 'db/exporter-password', 'db/stress-password'], loadgen: ['db/stress-password'] },
};
const RUNTIME_ENV_KEYS = new Set(['PROJECT', 'ROLE', 'AWS_REGION', 'SSM_PREFIX', 'DB_HOST', 'API_URL', 'DB_INSTANCE_ID',
  'API_INSTANCE_ID', 'PROMETHEUS_URL', 'DB_STRESS_DOCUMENT', 'DB_STRESS_STOP_DOCUMENT']);
// The db-stress Run Command documents (the loadgen's contract): name suffix => the parameters they take.
const STRESS_DOCUMENTS = { db_stress: { suffix: 'db-stress', parameters: { durationSeconds: 'Integer' } }, db_stress_stop: { suffix: 'db-stress-stop', parameters: {} } };
// The fault stages' Run Command documents (ssm-documents.tf): aws_ssm_document.fault[<fault>] takes an Integer
// duration, aws_ssm_document.fault_undo[<fault>] nothing; db-* go to the db instance, api-crash to the first API.
const FAULTS = ['db-outage', 'db-slow', 'api-crash'];
const SECRET_WORD = /pass(word|wd)?|secret|token|private[_-]?key|credential/i;
const DB_MODES = ['instance', 'rds'];

function variableValues(mod, overrides = {}) {
  const vars = {};
  for (const [name, v] of Object.entries(mod.variables)) vars[name] = Object.hasOwn(v, 'default') ? v.default : null;
  Object.assign(vars, { ami_version: '1.0.0', operator_cidr: OPERATOR }, overrides);
  for (const [name, v] of Object.entries(mod.variables)) {
    // Object variables with optional attributes: an empty default means "all defaults".
    const m = typeof v.type === 'string' && /^\$\{object\(\{([\s\S]*)\}\)\}$/.exec(v.type);
    if (m && vars[name] && typeof vars[name] === 'object') {
      for (const a of m[1].matchAll(/(\w+)\s*=\s*optional\(\w+,\s*("?)([^")]*)\2\)/g)) {
        if (!Object.hasOwn(vars[name], a[1])) vars[name][a[1]] = a[2] ? a[3] : Number(a[3]);
      }
    }
  }
  return vars;
}

async function instancesOf(mod, block, vars) {
  const scope = { vars, module: mod };
  if (block.body.for_each !== undefined) {
    const each = await evaluateValue(block.body.for_each, scope);
    const entries = Array.isArray(each) ? each.map((k) => [k, k]) : Object.entries(each);
    return entries.map(([key, value]) => ({ key, scope: { ...scope, each: { key, value } } }));
  }
  if (block.body.count !== undefined) {
    const n = await evaluateValue(block.body.count, scope);
    return Array.from({ length: n }, (_, i) => ({ key: i, scope: { ...scope, names: { count: { index: i } } } }));
  }
  return [{ key: null, scope }];
}

async function value(body, key, scope) {
  if (!Object.hasOwn(body, key)) return undefined;
  try {
    return await evaluateValue(body[key], scope);
  } catch (err) {
    if (err instanceof Unknown) return new Sym(String(body[key]));
    throw err;
  }
}

function roleOfGroup(v) {
  const m = /^aws_security_group\.this\["(\w+)"\]\.id$/.exec(String(v ?? ''));
  return m ? m[1] : `?${v}`;
}

// The rules a plan would create, as "role:port<-source" (ingress) or "role:port->destination" (egress).
async function securityRules(mod, vars, problems) {
  const rules = { ingress: [], egress: [] };
  for (const block of mod.blocks.filter((b) => b.kind === 'resource')) {
    if (block.type === 'aws_security_group_rule' || (block.type === 'aws_security_group' && (block.body.ingress || block.body.egress))) {
      problems.push(`${block.type}.${block.name}: use aws_vpc_security_group_ingress_rule / _egress_rule resources, not inline rules or aws_security_group_rule`);
      const inline = [...[].concat(block.body.ingress ?? []), ...(block.body.type === 'ingress' ? [block.body] : [])];
      for (const rule of inline) {
        const open = WORLD.filter((w) => JSON.stringify(rule).includes(`"${w}"`));
        if (open.length) problems.push(`${block.type}.${block.name}: ingress open to the internet (${open.join(', ')}) on port ${rule.from_port}`);
      }
      continue;
    }
    const direction = { aws_vpc_security_group_ingress_rule: 'ingress', aws_vpc_security_group_egress_rule: 'egress' }[block.type];
    if (!direction) continue;
    for (const inst of await instancesOf(mod, block, vars)) {
      const get = (k) => value(block.body, k, inst.scope);
      const role = roleOfGroup(await get('security_group_id'));
      const cidr4 = await get('cidr_ipv4');
      const cidr6 = await get('cidr_ipv6');
      const ref = await get('referenced_security_group_id');
      const protocol = String(await get('ip_protocol'));
      const [from, to] = [await get('from_port'), await get('to_port')];
      const where = `${block.type}.${block.name}${inst.key === null ? '' : `["${inst.key}"]`}`;
      let peer;
      if (ref !== undefined) peer = roleOfGroup(ref);
      else if (WORLD.includes(String(cidr4)) || WORLD.includes(String(cidr6))) peer = 'world';
      else if (String(cidr4) === OPERATOR) peer = 'operator';
      else peer = `cidr ${cidr4 ?? cidr6 ?? (await get('prefix_list_id'))}`;
      if (direction === 'ingress' && peer === 'world') problems.push(`${where}: ingress open to the internet (${cidr4 ?? cidr6}) on port ${from}; only var.operator_cidr may reach the hosts from outside`);
      if (!['tcp', '6'].includes(protocol)) problems.push(`${where}: protocol ${protocol}: only TCP is expected`);
      if (from !== to) problems.push(`${where}: port range ${from}-${to}: rules open single ports`);
      rules[direction].push(`${role}:${from}${direction === 'ingress' ? '<-' : '->'}${peer}`);
    }
  }
  return rules;
}

function compare(kind, actual, expected, problems, context) {
  for (const rule of actual) if (!expected.includes(rule)) problems.push(`unexpected ${kind} rule ${rule}${context}`);
  for (const rule of expected) if (!actual.includes(rule)) problems.push(`missing ${kind} rule ${rule}${context}`);
  const dup = actual.filter((r, i) => actual.indexOf(r) !== i);
  for (const rule of new Set(dup)) problems.push(`duplicate ${kind} rule ${rule}${context}`);
}

async function checkSecurityGroups(mod, problems) {
  for (const mode of DB_MODES) {
    for (const keyName of [null, 'demo-key']) {
      const context = ` (key_name = ${keyName === null ? 'null' : `"${keyName}"`}${mode === 'instance' ? '' : `, db_mode = "${mode}"`})`;
      const rules = await securityRules(mod, variableValues(mod, { key_name: keyName, db_mode: mode }), problems);
      const ssh = keyName === null ? [] : SSH(mode);
      compare('ingress', rules.ingress, [...INGRESS[mode], ...ssh].map(([r, p, s]) => `${r}:${p}<-${s}`), problems, context);
      compare('egress', rules.egress, EGRESS(mode).map(([r, p, d]) => `${r}:${p}->${d}`), problems, context);
    }
  }
  // Literal open CIDRs anywhere near an ingress are wrong even if the matrix above did not evaluate them.
  for (const block of mod.blocks) {
    if (!/ingress/.test(block.type ?? '')) continue;
    const text = JSON.stringify(block.body);
    for (const w of WORLD) if (text.includes(`"${w}"`)) problems.push(`${block.type}.${block.name}: ingress mentions ${w}`);
  }
}

async function checkOperatorCidr(mod, problems) {
  const v = mod.variables.operator_cidr;
  if (!v) return problems.push('variable "operator_cidr" is missing');
  if (Object.hasOwn(v, 'default')) problems.push('variable "operator_cidr" must be required (no default)');
  const conditions = (v.validation ?? []).map((x) => x.condition);
  const accepts = async (cidr) => {
    for (const c of conditions) if (!(await evaluate(c, { vars: { operator_cidr: cidr }, module: mod }))) return false;
    return true;
  };
  for (const bad of ['0.0.0.0/0', '::/0', '10.0.0.0/33', 'not-a-cidr']) if (await accepts(bad)) problems.push(`variable "operator_cidr": validation accepts ${bad}`);
  for (const good of ['203.0.113.7/32', '198.51.100.0/24']) if (!(await accepts(good))) problems.push(`variable "operator_cidr": validation rejects ${good}`);
}

async function checkInstances(mod, problems) {
  const instances = mod.blocks.filter((b) => b.kind === 'resource' && b.type === 'aws_instance');
  if (instances.length === 0) problems.push('no aws_instance resources');
  const vars = variableValues(mod);
  const names = [];
  for (const block of instances) {
    const where = `aws_instance.${block.name}`;
    const md = [].concat(block.body.metadata_options ?? [])[0];
    if (!md || md.http_tokens !== 'required') problems.push(`${where}: IMDSv2 not enforced: metadata_options { http_tokens = "required" } is missing`);
    if (md && md.http_endpoint === 'disabled') problems.push(`${where}: the metadata endpoint is disabled (SSM and the roles need it)`);
    const root = [].concat(block.body.root_block_device ?? [])[0];
    if (!root || root.encrypted !== true) problems.push(`${where}: root volume not encrypted: root_block_device { encrypted = true } is missing`);
    if (root && root.volume_type !== 'gp3') problems.push(`${where}: root volume type must be gp3, got ${root.volume_type}`);
    for (const ebs of [].concat(block.body.ebs_block_device ?? [])) if (ebs.encrypted !== true) problems.push(`${where}: ebs_block_device not encrypted`);
    if (!block.body.iam_instance_profile) problems.push(`${where}: no iam_instance_profile (Session Manager needs one)`);
    if (block.body.user_data_base64) problems.push(`${where}: use user_data from templatefile(), not user_data_base64`);
    for (const inst of await instancesOf(mod, block, vars)) {
      const tags = await value(block.body, 'tags', inst.scope);
      if (!tags || !ROLES.includes(tags.Role)) problems.push(`${where}: tag Role must be one of ${ROLES.join('|')}, got ${tags?.Role}`);
      else if (!new RegExp(`^${vars.project}-${tags.Role}-\\d+$`).test(String(tags.Name))) problems.push(`${where}: tag Name must be <project>-${tags.Role}-<n>, got ${tags.Name}`);
      else names.push(tags.Name);
    }
  }
  for (const role of ROLES) if (!names.some((n) => n.startsWith(`${vars.project}-${role}-`))) problems.push(`no instance with Role = ${role}`);
  const provider = mod.blocks.find((b) => b.kind === 'provider' && b.name === 'aws');
  const defaults = provider && (await value([].concat(provider.body.default_tags ?? [])[0] ?? {}, 'tags', { vars, module: mod }));
  if (!defaults || defaults.Project !== vars.project) problems.push('provider "aws": default_tags must set Project = var.project (Prometheus discovery filters on it)');
  for (const block of mod.blocks.filter((b) => b.type === 'aws_ebs_volume' || b.type === 'aws_launch_template')) {
    if (block.type === 'aws_ebs_volume' && block.body.encrypted !== true) problems.push(`aws_ebs_volume.${block.name}: not encrypted`);
  }
}

async function checkAmiLookup(mod, problems) {
  const amis = mod.blocks.filter((b) => b.kind === 'data' && b.type === 'aws_ami');
  if (amis.length === 0) problems.push('no data "aws_ami" lookup');
  for (const block of amis) {
    const where = `data.aws_ami.${block.name}`;
    const filters = Object.fromEntries([].concat(block.body.filter ?? []).map((f) => [f.name, JSON.stringify(f.values)]));
    if (JSON.stringify(block.body.owners) !== '["self"]') problems.push(`${where}: owners must be ["self"]`);
    if (!filters['tag:Project'] || !filters['tag:Role']) problems.push(`${where}: must filter on tag:Project and tag:Role`);
    if (!/var\.ami_version/.test(filters['tag:Version'] ?? '')) problems.push(`${where}: must filter on tag:Version = var.ami_version (a pinned version)`);
    if (block.body.most_recent === true) problems.push(`${where}: most_recent = true lets a second bake of the same version replace instances`);
  }
  const v = mod.variables.ami_version;
  if (v && Object.hasOwn(v, 'default')) problems.push('variable "ami_version" must be required: a default would move with every bake');
}

function refersToSecret(segs) {
  const [root, type, , attr] = segs;
  if (root === 'ephemeral') return true;
  if (root === 'random_password' || root === 'random_string') return true;
  if (root === 'aws_ssm_parameter' && ['value', 'insecure_value', 'value_wo'].includes(segs.slice(2).find((s) => !s.startsWith('"')))) return true;
  if (root === 'data' && type === 'aws_ssm_parameter' && ['value', 'insecure_value'].includes(attr)) return true;
  if (root === 'var' && SECRET_WORD.test(type)) return true;
  return false;
}

async function secretReferences(file, value) {
  const found = [];
  for (const { expr } of expressions(value)) for (const segs of await references(file, expr)) if (refersToSecret(segs)) found.push(segs.join('.'));
  return found;
}

async function checkSecrets(mod, problems) {
  for (const block of mod.blocks) {
    if (block.kind === 'resource' && ['random_password', 'random_string'].includes(block.type)) {
      problems.push(`${block.type}.${block.name}: a managed random_password keeps its value in state; use ephemeral "random_password"`);
    }
    if (block.kind === 'resource' && block.type === 'aws_ssm_parameter') {
      const where = `aws_ssm_parameter.${block.name}`;
      if (block.body.type !== 'SecureString') problems.push(`${where}: type must be SecureString, got ${block.body.type}`);
      if (block.body.value !== undefined || block.body.insecure_value !== undefined) problems.push(`${where}: use value_wo (write-only) so the secret stays out of state`);
      if (block.body.value_wo === undefined || block.body.value_wo_version === undefined) problems.push(`${where}: value_wo and value_wo_version are required`);
    }
    if (block.kind === 'resource' && block.type === 'aws_instance') {
      const where = `aws_instance.${block.name}.user_data`;
      for (const ref of await secretReferences(block.file, block.body.user_data)) problems.push(`${where}: secret material in user_data: ${ref}`);
    }
    if (block.kind === 'output') {
      const refs = await secretReferences(block.file, block.body.value);
      if (refs.length && block.body.sensitive !== true) problems.push(`output "${block.name}": exposes secret material (${refs.join(', ')}) without sensitive = true`);
    }
  }
  // runtime.env keys built in locals, and the templates themselves.
  const env = mod.locals.runtime_env;
  if (env !== undefined) {
    const vars = variableValues(mod);
    try {
      const evaluated = await evaluateValue(env, { vars, module: mod });
      for (const [role, map] of Object.entries(evaluated)) for (const k of Object.keys(map)) if (!RUNTIME_ENV_KEYS.has(k)) problems.push(`local.runtime_env["${role}"]: key ${k} is not in the contract`);
    } catch (err) {
      problems.push(`local.runtime_env cannot be evaluated: ${err.message}`);
    }
  }
  // Every local that builds a runtime.env (runtime_env, api_runtime_env, ...) ends up in user_data.
  for (const [name, expr] of Object.entries(mod.locals)) {
    if (!/runtime_env$/.test(name)) continue;
    for (const ref of await secretReferences('locals.tf', expr)) problems.push(`local.${name}: secret material: ${ref}`);
  }
  const dir = path.join(mod.dir, 'templates');
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    for (const [i, line] of fs.readFileSync(path.join(dir, file), 'utf8').split('\n').entries()) {
      if (/^\s*#/.test(line)) continue;
      const m = /([\w.-]+)\s*[=:]\s*(\S.*)/.exec(line);
      if (m && (SECRET_WORD.test(m[1]) || SECRET_WORD.test(m[2]))) problems.push(`templates/${file}:${i + 1}: secret material in user_data: ${line.trim()}`);
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line)) problems.push(`templates/${file}:${i + 1}: private key in user_data`);
    }
  }
}

// runtime.env per role, as docs/architecture.md defines it. Addresses and IDs are only known after apply, so
// they appear as the expressions that produce them.
// The load generator targets the load balancer; DB_HOST is the db host's address or the RDS endpoint, which the
// monitor also gets with RDS (it creates the accounts and runs mysqld_exporter); with RDS there is no db host for
// the stress-ng Run Command. The loadgen is judged by the monitor's Prometheus and crashes the first API host,
// which is the only one its IAM names (none when the API hosts come from the Auto Scaling group).
function expectedRuntimeEnv(role, vars) {
  const rds = vars.db_mode === 'rds';
  const dbHost = rds ? 'aws_db_instance.this[0].address' : 'aws_instance.db[0].private_ip';
  const env = { PROJECT: vars.project, ROLE: role, AWS_REGION: vars.region, SSM_PREFIX: `/${vars.project}` };
  if (role === 'api' || (role === 'monitor' && rds)) env.DB_HOST = dbHost;
  if (role === 'loadgen') {
    env.API_URL = 'http://aws_lb.this.dns_name:5000';
    env.PROMETHEUS_URL = 'http://aws_instance.monitor.private_ip:9090';
    if (!rds) env.DB_INSTANCE_ID = 'aws_instance.db[0].id';
    else env.DB_HOST = dbHost;
    if (!vars.api_autoscaling) env.API_INSTANCE_ID = `aws_instance.api["${vars.project}-api-1"].id`;
    env.DB_STRESS_DOCUMENT = 'aws_ssm_document.db_stress.name';
    env.DB_STRESS_STOP_DOCUMENT = 'aws_ssm_document.db_stress_stop.name';
  }
  return env;
}

// Renders every instance's user_data (templatefile() and all) and checks it is cloud-config that writes
// /etc/prometheus-demo/runtime.env, mode 0644, with exactly the contract's settings for the role, and nothing else.
async function checkUserData(mod, problems) {
  for (const mode of DB_MODES) await checkUserDataIn(mod, problems, mode);
}

async function checkUserDataIn(mod, problems, mode) {
  const vars = variableValues(mod, { api_instance_count: 2, db_mode: mode });
  const context = mode === 'instance' ? '' : ` (db_mode = "${mode}")`;
  for (const block of mod.blocks.filter((b) => b.type === 'aws_instance')) {
    for (const inst of await instancesOf(mod, block, vars)) {
      const key = inst.key === null ? '' : typeof inst.key === 'number' ? `[${inst.key}]` : `["${inst.key}"]`;
      const where = `aws_instance.${block.name}${key}.user_data${context}`;
      const role = (await value(block.body, 'tags', inst.scope))?.Role;
      let text;
      try {
        text = String(await evaluateValue(block.body.user_data, inst.scope));
      } catch (err) {
        problems.push(`${where}: cannot be rendered: ${err.message}`);
        continue;
      }
      if (!text.startsWith('#cloud-config\n')) {
        problems.push(`${where}: does not start with #cloud-config`);
        continue;
      }
      let config;
      try {
        config = YAML.parse(text);
      } catch (err) {
        problems.push(`${where}: rendered cloud-config is not valid YAML: ${err.message.split('\n')[0]}`);
        continue;
      }
      const files = config?.write_files ?? [];
      const extra = Object.keys(config ?? {}).filter((k) => k !== 'write_files');
      if (extra.length) problems.push(`${where}: cloud-config does more than write runtime.env: ${extra.join(', ')}`);
      if (files.length !== 1 || files[0].path !== '/etc/prometheus-demo/runtime.env') {
        problems.push(`${where}: must write exactly /etc/prometheus-demo/runtime.env, writes ${files.map((f) => f.path).join(', ') || 'nothing'}`);
        continue;
      }
      if (String(files[0].permissions) !== '0644') problems.push(`${where}: runtime.env permissions must be "0644", got ${files[0].permissions}`);
      const env = {};
      for (const line of String(files[0].content ?? '').split('\n').filter(Boolean)) {
        const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
        if (!m) problems.push(`${where}: runtime.env line is not KEY=value: ${line}`);
        else env[m[1]] = m[2];
      }
      const expected = expectedRuntimeEnv(role, vars);
      for (const [k, v] of Object.entries(env)) {
        if (!Object.hasOwn(expected, k)) problems.push(`${where}: runtime.env key ${k} is not in the contract for role ${role} (${Object.keys(expected).join(', ')})`);
        else if (v !== expected[k]) problems.push(`${where}: runtime.env ${k}=${v}, expected ${expected[k]}`);
      }
      for (const k of Object.keys(expected)) if (!Object.hasOwn(env, k)) problems.push(`${where}: runtime.env lacks ${k} (role ${role})`);
    }
  }
}

// Statements of each policy document, evaluated, with the role whose policy it becomes.
async function policyStatements(mod, vars) {
  const scope = { vars, module: mod };
  const roleOf = {};
  for (const block of mod.blocks.filter((b) => b.type === 'aws_iam_role_policy')) {
    for (const inst of await instancesOf(mod, block, vars)) {
      const role = /aws_iam_role\.this\["(\w+)"\]/.exec(String(await value(block.body, 'role', inst.scope)))?.[1];
      const doc = /data\.aws_iam_policy_document\.(\w+)(?:\[0\])?\.json/.exec(String(await value(block.body, 'policy', inst.scope)))?.[1];
      if (doc) (roleOf[doc] ??= []).push(role);
    }
  }
  const out = [];
  for (const block of mod.blocks.filter((b) => b.type === 'aws_iam_policy_document')) {
    for (const st of [].concat(block.body.statement ?? [])) {
      out.push({
        doc: block.name,
        roles: roleOf[block.name] ?? [],
        effect: st.effect ?? 'Allow',
        actions: await evaluateValue(st.actions ?? [], scope),
        resources: (await evaluateValue(st.resources ?? [], scope)).map(String),
        notActions: st.not_actions,
      });
    }
  }
  return out;
}

async function checkIam(mod, problems) {
  for (const mode of DB_MODES) {
    const found = [];
    await checkIamIn(mod, found, variableValues(mod, { db_mode: mode }));
    problems.push(...found.map((p) => (mode === 'instance' ? p : `${p} (db_mode = "${mode}")`)));
  }
}

async function checkIamIn(mod, problems, vars) {
  const statements = await policyStatements(mod, vars);
  const project = vars.project;
  const granted = Object.fromEntries(ROLES.map((r) => [r, []]));
  for (const st of statements) {
    const where = `data.aws_iam_policy_document.${st.doc}`;
    if (st.notActions) problems.push(`${where}: not_actions grants everything else`);
    // A Deny may be as wide as it likes (the results bucket refuses s3:* without TLS); what is allowed may not.
    if (st.effect !== 'Allow') continue;
    for (const a of st.actions) if (String(a).includes('*')) problems.push(`${where}: wildcard action ${a}`);
    if (st.resources.includes('*')) {
      for (const a of st.actions) if (!RESOURCE_STAR_OK.has(a) && a !== 'sts:AssumeRole') problems.push(`${where}: ${a} on Resource "*"; scope it to ARNs (only actions without resource-level permissions may use "*")`);
    }
    for (const role of st.roles) granted[role].push(st);
  }
  for (const block of mod.blocks.filter((b) => b.type === 'aws_iam_role_policy_attachment' || b.type === 'aws_iam_policy_attachment')) {
    problems.push(`${block.type}.${block.name}: managed policies grant more than the roles need (AmazonSSMManagedInstanceCore reads every parameter); use the inline documents`);
  }
  for (const role of ROLES) {
    const actions = new Set(granted[role].flatMap((s) => s.actions));
    for (const a of SESSION_MANAGER) if (!actions.has(a)) problems.push(`role ${role}: missing ${a} (Session Manager)`);
    // Parameter Store: exactly the paths of docs/architecture.md.
    const params = granted[role].filter((s) => s.actions.includes('ssm:GetParameter') || s.actions.includes('ssm:GetParameters')).flatMap((s) => s.resources)
      .map((r) => /aws_ssm_parameter\.this\["([^"]+)"\]\.arn/.exec(r)?.[1] ?? r.replace(/^arn:.*:parameter\//, '').replace(new RegExp(`^${project}/`), ''));
    const expected = PARAMETERS[vars.db_mode][role];
    if (JSON.stringify([...params].sort()) !== JSON.stringify([...expected].sort())) problems.push(`role ${role}: ssm:GetParameter on [${params.join(', ')}], expected [${expected.join(', ')}]`);
    if (role !== 'loadgen' && actions.has('ssm:SendCommand')) problems.push(`role ${role}: ssm:SendCommand is for the loadgen only`);
    if (role !== 'monitor' && actions.has('ec2:DescribeInstances')) problems.push(`role ${role}: ec2:DescribeInstances is for the monitor only`);
  }
  if (!new Set(granted.monitor.flatMap((s) => s.actions)).has('ec2:DescribeInstances')) problems.push('role monitor: missing ec2:DescribeInstances (Prometheus EC2 discovery)');
  // Run Command: the project's two documents on the db instance, nothing else; no AWS-* document (an AWS
  // document such as AWS-RunShellScript runs any command as root), no cancelling of arbitrary commands.
  const send = granted.loadgen.filter((s) => s.actions.includes('ssm:SendCommand'));
  const targets = send.flatMap((s) => s.resources).sort();
  // With RDS there is no db host, and API hosts from an Auto Scaling group have no fixed ARN (iam.tf).
  const dbHost = vars.db_mode === 'rds' ? [] : ['aws_instance.db[0].arn'];
  const firstApi = vars.api_autoscaling ? [] : [`aws_instance.api["${project}-api-1"].arn`];
  const allowed = [...dbHost, 'aws_ssm_document.db_stress.arn', 'aws_ssm_document.db_stress_stop.arn', ...dbHost, ...firstApi,
    ...FAULTS.flatMap((f) => [`aws_ssm_document.fault["${f}"].arn`, `aws_ssm_document.fault_undo["${f}"].arn`])].sort();
  if (send.length !== 2 || JSON.stringify(targets) !== JSON.stringify(allowed)) problems.push(`role loadgen: ssm:SendCommand must be limited to [${allowed.join(', ')}], got [${targets.join(', ')}]`);
  for (const r of targets) if (/document\/AWS-/.test(r)) problems.push(`role loadgen: ssm:SendCommand on an AWS document (${r}) runs any command on the db host`);
  // A host that is sent a document must be able to receive it: its role needs the agent's ec2messages actions.
  const sentTo = new Set(statements.filter((st) => st.effect === 'Allow' && st.actions.includes('ssm:SendCommand'))
    .flatMap((st) => st.resources).map((r) => /^aws_instance\.(\w+)/.exec(r)?.[1]).filter(Boolean));
  for (const role of sentTo) {
    const has = new Set((granted[role] ?? []).flatMap((st) => st.actions));
    const missing = RUN_COMMAND.filter((a) => !has.has(a));
    if (missing.length) problems.push(`role ${role}: is sent Run Command documents but lacks ${missing.join(', ')}: its SSM agent cannot receive them`);
  }
  for (const role of ROLES) {
    const all = granted[role].flatMap((s) => s.actions.map((a) => [a, s.resources]));
    for (const [a, res] of all) if (a === 'ssm:CancelCommand' && res.includes('*')) problems.push(`role ${role}: ssm:CancelCommand on "*" cancels any command in the account; the stop document ends a stress`);
  }
}

// The db-stress documents: Command documents named <project>-db-stress(-stop), whose only inputs are the ones
// the loadgen's contract names (an Integer duration, or none), so no text from the loadgen reaches a shell.
async function checkStressDocuments(mod, problems) {
  // Another project than the default, so a name written out literally is caught.
  const vars = variableValues(mod, { project: 'other-demo' });
  const scope = { vars, module: mod };
  for (const [name, want] of Object.entries(STRESS_DOCUMENTS)) {
    const block = mod.blocks.find((b) => b.kind === 'resource' && b.type === 'aws_ssm_document' && b.name === name);
    const where = `aws_ssm_document.${name}`;
    if (!block) {
      problems.push(`${where} is missing (the loadgen's db-stress stage runs it)`);
      continue;
    }
    if ((await value(block.body, 'name', scope)) !== `${vars.project}-${want.suffix}`) problems.push(`${where}: name must be "\${var.project}-${want.suffix}"`);
    if (block.body.document_type !== 'Command') problems.push(`${where}: document_type must be Command`);
    let content;
    try {
      content = JSON.parse(await value(block.body, 'content', scope));
    } catch (err) {
      problems.push(`${where}: content is not JSON: ${err.message}`);
      continue;
    }
    const params = Object.fromEntries(Object.entries(content.parameters ?? {}).map(([k, p]) => [k, p.type]));
    if (JSON.stringify(params) !== JSON.stringify(want.parameters)) problems.push(`${where}: parameters must be ${JSON.stringify(want.parameters)}, got ${JSON.stringify(params)}`);
    const steps = content.mainSteps ?? [];
    if (steps.length === 0 || steps.some((st) => st.action !== 'aws:runShellScript')) problems.push(`${where}: mainSteps must be aws:runShellScript steps`);
    const script = steps.flatMap((st) => st.inputs?.runCommand ?? []).join('\n');
    if (!/stress-ng/.test(script)) problems.push(`${where}: does not run stress-ng`);
    for (const m of script.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) if (!Object.hasOwn(want.parameters, m[1])) problems.push(`${where}: uses {{ ${m[1]} }}, which is not a parameter`);
  }
}

// The fault documents: Command documents named <project>-<fault> with only an Integer durationSeconds, and
// <project>-<fault>-undo with no input, so no text from the loadgen reaches a shell.
async function checkFaultDocuments(mod, problems) {
  const vars = variableValues(mod, { project: 'other-demo' });
  for (const [name, params, suffix] of [['fault', { durationSeconds: 'Integer' }, ''], ['fault_undo', {}, '-undo']]) {
    const block = mod.blocks.find((b) => b.kind === 'resource' && b.type === 'aws_ssm_document' && b.name === name);
    if (!block) {
      problems.push(`aws_ssm_document.${name} is missing (the loadgen's fault stages run it)`);
      continue;
    }
    for (const inst of await instancesOf(mod, block, vars)) {
      const where = `aws_ssm_document.${name}["${inst.key}"]`;
      if (!FAULTS.includes(inst.key)) problems.push(`${where}: not a fault the loadgen knows (${FAULTS.join(', ')})`);
      if ((await value(block.body, 'name', inst.scope)) !== `${vars.project}-${inst.key}${suffix}`) problems.push(`${where}: name must be "\${var.project}-${inst.key}${suffix}"`);
      if (block.body.document_type !== 'Command') problems.push(`${where}: document_type must be Command`);
      let content;
      try {
        content = JSON.parse(await value(block.body, 'content', inst.scope));
      } catch (err) {
        problems.push(`${where}: content is not JSON: ${err.message}`);
        continue;
      }
      const got = Object.fromEntries(Object.entries(content.parameters ?? {}).map(([k, p]) => [k, p.type]));
      if (JSON.stringify(got) !== JSON.stringify(params)) problems.push(`${where}: parameters must be ${JSON.stringify(params)}, got ${JSON.stringify(got)}`);
      const script = (content.mainSteps ?? []).flatMap((st) => st.inputs?.runCommand ?? []).join('\n');
      for (const m of script.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) if (!Object.hasOwn(params, m[1])) problems.push(`${where}: uses {{ ${m[1]} }}, which is not a parameter`);
    }
  }
}

function checkConventions(mod, problems) {
  for (const [name, v] of Object.entries(mod.variables)) {
    if (!v.type) problems.push(`variable "${name}": no type`);
    if (!v.description) problems.push(`variable "${name}": no description`);
  }
  for (const [name, o] of Object.entries(mod.outputs)) if (!o.description) problems.push(`output "${name}": no description`);
  const tf = mod.blocks.find((b) => b.kind === 'terraform');
  const providers = Object.assign({}, ...[].concat(tf?.body.required_providers ?? []));
  if (!tf?.body.required_version) problems.push('terraform: no required_version');
  if (!/^~> ?6\./.test(providers.aws?.version ?? '')) problems.push('terraform: the aws provider must be pinned to 6.x ("~> 6.0")');
  if (!providers.random?.version) problems.push('terraform: the random provider must be pinned');
}

async function checkPolicy(mod) {
  const problems = [];
  const steps = [checkSecurityGroups, checkOperatorCidr, checkInstances, checkAmiLookup, checkSecrets, checkUserData, checkIam, checkStressDocuments, checkFaultDocuments, checkConventions,
    tiers.checkLoadBalancer, tiers.checkDatabase, tiers.checkAutoscaling, loadtest.checkLoadtestRuns];
  // The tiers' checks (lib/policy-tiers.js, lib/policy-loadtest.js) evaluate the configuration with these.
  const helpers = { variableValues, instancesOf, value, expectedRuntimeEnv, policyStatements };
  for (const step of steps) {
    try {
      await step(mod, problems, helpers);
    } catch (err) {
      problems.push(`${step.name}: could not evaluate the configuration: ${err.message}`);
    }
  }
  return [...new Set(problems)];
}

module.exports = { checkPolicy };

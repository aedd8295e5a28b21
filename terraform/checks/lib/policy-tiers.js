// terraform/checks/lib/policy-tiers.js
// The rules for the API's load balancer and the RDS database tier (docs/architecture.md, "AWS shape"), checked on
// the evaluated configuration in both VPC modes and both database modes: an internal ALB in two zones, reached
// only from the load generator, forwarding to every API host, with the readiness health check on the admin port;
// RDS encrypted, private, in two zones, with performance_schema on, a Multi-AZ switch and a write-only password.
'use strict';

const { Sym, Unknown } = require('./expr');

const API_PORT = 5000;
const ADMIN_PORT = 8000;

function resources(mod, type) {
  return mod.blocks.filter((b) => b.kind === 'resource' && b.type === type);
}

function only(mod, type, problems, why) {
  const found = resources(mod, type);
  if (found.length !== 1) problems.push(`expected exactly one ${type} (${why}), found ${found.length}`);
  return found[0];
}

async function tryValue(h, body, key, scope) {
  try {
    return await h.value(body, key, scope);
  } catch (err) {
    return new Sym(`<cannot evaluate ${key}: ${err.message}>`);
  }
}

// How many instances a block has with these variables (count/for_each evaluated; 1 without either).
async function instanceCount(mod, block, vars, h) {
  try {
    return (await h.instancesOf(mod, block, vars)).length;
  } catch (err) {
    if (err instanceof Unknown) return NaN;
    throw err;
  }
}

// A subnet list must name subnets in at least two availability zones, in both VPC modes: with the dedicated VPC,
// distinct aws_subnet instances that exist and sit in distinct zones; with the default VPC, at least two of the
// default-for-az subnets (one per zone).
async function checkTwoZones(mod, where, body, key, h, problems) {
  for (const createVpc of [true, false]) {
    const vars = h.variableValues(mod, { create_vpc: createVpc, db_mode: 'rds' });
    const context = ` (create_vpc = ${createVpc})`;
    const list = await tryValue(h, body, key, { vars, module: mod });
    if (createVpc) {
      if (!Array.isArray(list) || list.length < 2) {
        problems.push(`${where}: ${key} must list subnets in at least two availability zones, got ${JSON.stringify(String(list))}${context}`);
        continue;
      }
      const subnet = resources(mod, 'aws_subnet').find((b) => b.name === 'this');
      const count = subnet ? await instanceCount(mod, subnet, vars, h) : 0;
      const zones = new Set();
      const seen = new Set();
      for (const item of list.map(String)) {
        const m = /^aws_subnet\.this\[(\d+)\]\.id$/.exec(item);
        if (!m) {
          problems.push(`${where}: ${key} names ${item}, not one of the VPC's subnets${context}`);
          continue;
        }
        const i = Number(m[1]);
        if (seen.has(i)) problems.push(`${where}: ${key} names aws_subnet.this[${i}] twice${context}`);
        seen.add(i);
        if (!(i < count)) {
          problems.push(`${where}: ${key} names aws_subnet.this[${i}], but only ${count} subnet(s) exist${context}`);
          continue;
        }
        zones.add(String(await tryValue(h, subnet.body, 'availability_zone', { vars, module: mod, names: { count: { index: i } } })));
      }
      if (seen.size >= 2 && zones.size < seen.size) problems.push(`${where}: ${key} subnets share an availability zone (${[...zones].join(', ')})${context}`);
    } else {
      const text = Array.isArray(list) ? null : String(list);
      const m = text && /^slice\(sort\(data\.aws_subnets\.(\w+)\[0\]\.ids\), 0, (\d+)\)$/.exec(text);
      const distinct = Array.isArray(list) && new Set(list.map(String)).size >= 2;
      if (!m && !distinct) {
        problems.push(`${where}: ${key} must list subnets in at least two availability zones, got ${JSON.stringify(text ?? list.map(String))}${context}`);
        continue;
      }
      if (m) {
        if (Number(m[2]) < 2) problems.push(`${where}: ${key} takes ${m[2]} default subnet(s); at least two zones are needed${context}`);
        const data = mod.blocks.find((b) => b.kind === 'data' && b.type === 'aws_subnets' && b.name === m[1]);
        const filters = [].concat(data?.body.filter ?? []);
        if (!filters.some((f) => f.name === 'default-for-az' && JSON.stringify(f.values) === '["true"]')) {
          problems.push(`data.aws_subnets.${m[1]}: must filter on default-for-az = true (one subnet per zone), so any two are in two zones`);
        }
      }
    }
  }
}

async function checkLoadBalancer(mod, problems, h) {
  const vars = h.variableValues(mod, { api_instance_count: 3 });
  const scope = { vars, module: mod };
  const lb = only(mod, 'aws_lb', problems, 'the API tier');
  if (!lb) return;
  const where = `aws_lb.${lb.name}`;
  const get = (body, key, s = scope) => tryValue(h, body, key, s);
  if ((await get(lb.body, 'internal')) !== true) problems.push(`${where}: internal must be true: an internet-facing load balancer is open to the world`);
  if ((await get(lb.body, 'load_balancer_type')) !== 'application') problems.push(`${where}: load_balancer_type must be "application" (per-request balancing, HTTP health checks)`);
  const groups = (await get(lb.body, 'security_groups')) ?? [];
  if (JSON.stringify([].concat(groups).map(String)) !== JSON.stringify(['aws_security_group.this["alb"].id'])) {
    problems.push(`${where}: security_groups must be [aws_security_group.this["alb"].id], got ${JSON.stringify([].concat(groups).map(String))}`);
  }
  if (lb.body.subnet_mapping) problems.push(`${where}: use subnets = local.subnet_ids, not subnet_mapping`);
  await checkTwoZones(mod, where, lb.body, 'subnets', h, problems);

  const tg = only(mod, 'aws_lb_target_group', problems, 'the API hosts');
  if (tg) {
    const at = `aws_lb_target_group.${tg.name}`;
    if ((await get(tg.body, 'port')) !== API_PORT) problems.push(`${at}: port must be ${API_PORT} (the API)`);
    if ((await get(tg.body, 'protocol')) !== 'HTTP') problems.push(`${at}: protocol must be HTTP`);
    const hc = [].concat(tg.body.health_check ?? [])[0];
    if (!hc) {
      problems.push(`${at}: no health_check: readiness must decide which hosts get traffic`);
    } else {
      const port = String(await get(hc, 'port'));
      if (port !== String(ADMIN_PORT)) problems.push(`${at}: health_check port must be ${ADMIN_PORT} (the admin port serves /health/ready), got ${port}`);
      if ((await get(hc, 'path')) !== '/health/ready') problems.push(`${at}: health_check path must be /health/ready, got ${await get(hc, 'path')}`);
      if ((await get(hc, 'enabled')) === false) problems.push(`${at}: health_check is disabled`);
      if (hc.protocol !== undefined && (await get(hc, 'protocol')) !== 'HTTP') problems.push(`${at}: health_check protocol must be HTTP`);
      const matcher = await get(hc, 'matcher');
      if (matcher !== undefined && String(matcher) !== '200') problems.push(`${at}: health_check matcher must be "200" (readiness answers 503 when not ready), got ${matcher}`);
    }
  }

  const listeners = resources(mod, 'aws_lb_listener');
  if (listeners.length === 0) problems.push('no aws_lb_listener: the load balancer forwards nothing');
  for (const l of listeners) {
    const at = `aws_lb_listener.${l.name}`;
    if (String(await get(l.body, 'load_balancer_arn')) !== `aws_lb.${lb.name}.arn`) problems.push(`${at}: must belong to aws_lb.${lb.name}`);
    if ((await get(l.body, 'port')) !== API_PORT) problems.push(`${at}: port must be ${API_PORT}, so API_URL keeps the API's port`);
    if (l.body.certificate_arn === undefined && (await get(l.body, 'protocol')) !== 'HTTP') problems.push(`${at}: protocol must be HTTP (no certificate)`);
    const actions = [].concat(l.body.default_action ?? []);
    const forwards = actions.length === 1 && actions[0].type === 'forward' && tg && String(await get(actions[0], 'target_group_arn')) === `aws_lb_target_group.${tg.name}.arn`;
    if (!forwards) problems.push(`${at}: default_action must forward to aws_lb_target_group.${tg?.name}`);
  }

  // Every API host registered, on the API port, in the one target group.
  const api = resources(mod, 'aws_instance').find((b) => b.name === 'api');
  const hosts = api ? (await h.instancesOf(mod, api, vars)).map((i) => `aws_instance.api[${JSON.stringify(i.key)}].id`) : [];
  const registered = [];
  const groupIds = [];
  for (const block of mod.blocks.filter((b) => b.kind === 'resource' && b.type === 'aws_lb_target_group_attachment')) {
    for (const inst of await h.instancesOf(mod, block, vars)) {
      const at = `aws_lb_target_group_attachment.${block.name}${inst.key === null ? '' : `["${inst.key}"]`}`;
      registered.push(String(await get(block.body, 'target_id', inst.scope)));
      groupIds.push(String(await get(block.body, 'target_group_arn', inst.scope)));
      const port = await get(block.body, 'port', inst.scope);
      if (port !== API_PORT) problems.push(`${at}: port must be ${API_PORT}, got ${port}`);
    }
  }
  const asg = resources(mod, 'aws_autoscaling_group');
  for (const host of hosts) if (!registered.includes(host)) problems.push(`API host ${host} is not registered with the load balancer (api_instance_count = ${vars.api_instance_count})`);
  for (const target of registered) if (!hosts.includes(target)) problems.push(`aws_lb_target_group_attachment registers ${target}, which is not an API host`);
  if (hosts.length === 0 && asg.length === 0) problems.push('no API hosts found to register');
  for (const id of new Set(groupIds)) if (tg && id !== `aws_lb_target_group.${tg.name}.arn`) problems.push(`aws_lb_target_group_attachment: registers with ${id}, not the API target group`);
}

async function checkDatabase(mod, problems, h) {
  const db = only(mod, 'aws_db_instance', problems, 'db_mode = "rds"');
  const host = resources(mod, 'aws_instance').find((b) => b.name === 'db');
  for (const mode of ['instance', 'rds']) {
    const vars = h.variableValues(mod, { db_mode: mode });
    const rdsCount = db ? await instanceCount(mod, db, vars, h) : 0;
    const hostCount = host ? await instanceCount(mod, host, vars, h) : 0;
    const want = mode === 'rds' ? [1, 0] : [0, 1];
    if (rdsCount !== want[0] || hostCount !== want[1]) {
      problems.push(`db_mode = "${mode}" must launch ${want[0]} RDS instance and ${want[1]} db host, launches ${rdsCount} and ${hostCount}`);
    }
  }
  if (!db) return;
  const where = `aws_db_instance.${db.name}`;
  const vars = h.variableValues(mod, { db_mode: 'rds' });
  const scope = { vars, module: mod, names: { count: { index: 0 } } };
  const get = (body, key, s = scope) => tryValue(h, body, key, s);
  if ((await get(db.body, 'storage_encrypted')) !== true) problems.push(`${where}: storage_encrypted must be true (unencrypted RDS storage)`);
  if ((await get(db.body, 'publicly_accessible')) !== false) problems.push(`${where}: publicly_accessible must be set to false (a public RDS endpoint)`);
  if ((await get(db.body, 'engine')) !== 'mysql') problems.push(`${where}: engine must be mysql`);
  if (!/^8\.0(\.|$)/.test(String(await get(db.body, 'engine_version')))) problems.push(`${where}: engine_version must be MySQL 8.0`);
  for (const multiAz of [true, false]) {
    const got = await get(db.body, 'multi_az', { ...scope, vars: { ...vars, rds_multi_az: multiAz } });
    if (got !== multiAz) problems.push(`${where}: multi_az must follow var.rds_multi_az (got ${got} for ${multiAz})`);
  }
  const groups = [].concat((await get(db.body, 'vpc_security_group_ids')) ?? []).map(String);
  if (JSON.stringify(groups) !== JSON.stringify(['aws_security_group.this["db"].id'])) problems.push(`${where}: vpc_security_group_ids must be [aws_security_group.this["db"].id] (the db role's group), got ${JSON.stringify(groups)}`);
  for (const key of ['password', 'manage_master_user_password']) {
    if (db.body[key] !== undefined) problems.push(`${where}: ${key} is not allowed: use password_wo from ephemeral.random_password, written to SSM like the other passwords`);
  }
  const pw = String(db.body.password_wo ?? '');
  if (!/ephemeral\.random_password\.this\["db\/master-password"\]\.result/.test(pw)) problems.push(`${where}: password_wo must be ephemeral.random_password.this["db/master-password"].result (the value SSM holds)`);
  if (db.body.password_wo_version === undefined) problems.push(`${where}: password_wo_version is required`);

  // Subnets in two zones, through the subnet group.
  const sng = String(await get(db.body, 'db_subnet_group_name'));
  const sngBlock = resources(mod, 'aws_db_subnet_group').find((b) => sng === `aws_db_subnet_group.${b.name}[0].name` || sng === `aws_db_subnet_group.${b.name}.name`);
  if (!sngBlock) problems.push(`${where}: db_subnet_group_name must name this configuration's aws_db_subnet_group, got ${sng}`);
  else await checkTwoZones(mod, `aws_db_subnet_group.${sngBlock.name}`, sngBlock.body, 'subnet_ids', h, problems);

  // performance_schema on, through this configuration's parameter group (MySQL 8.0 family).
  const pg = String(await get(db.body, 'parameter_group_name'));
  const pgBlock = resources(mod, 'aws_db_parameter_group').find((b) => pg === `aws_db_parameter_group.${b.name}[0].name` || pg === `aws_db_parameter_group.${b.name}.name`);
  if (!pgBlock) {
    problems.push(`${where}: parameter_group_name must name this configuration's aws_db_parameter_group (performance_schema), got ${pg}`);
  } else {
    const at = `aws_db_parameter_group.${pgBlock.name}`;
    if ((await get(pgBlock.body, 'family')) !== 'mysql8.0') problems.push(`${at}: family must be mysql8.0`);
    const params = {};
    for (const p of [].concat(pgBlock.body.parameter ?? [])) params[await get(p, 'name')] = String(await get(p, 'value'));
    if (params.performance_schema !== '1') problems.push(`${at}: performance_schema must be "1" (the MySQL dashboards read it), got ${params.performance_schema}`);
  }
}

module.exports = { checkLoadBalancer, checkDatabase };

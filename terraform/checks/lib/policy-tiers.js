// terraform/checks/lib/policy-tiers.js
// The rules for the API's load balancer and the RDS database tier (docs/architecture.md, "AWS shape"), checked on
// the evaluated configuration in both VPC modes and both database modes: an internal ALB in two zones, reached
// only from the load generator, forwarding to every API host, with the readiness health check on the admin port;
// RDS encrypted, private, in two zones, with performance_schema on, a Multi-AZ switch and a write-only password.
'use strict';

const YAML = require('yaml');
const { Sym, Unknown, evaluate } = require('./expr');

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
  // The monitor runs mysqld_exporter against RDS; its DbInstance tag is how Prometheus finds that exporter and
  // labels it as the database's, so it exists exactly with RDS.
  const monitor = resources(mod, 'aws_instance').find((b) => b.name === 'monitor');
  for (const mode of ['instance', 'rds']) {
    const vars = h.variableValues(mod, { db_mode: mode });
    const tags = monitor ? await tryValue(h, monitor.body, 'tags', { vars, module: mod }) : null;
    const got = tags && typeof tags === 'object' ? tags.DbInstance : undefined;
    const want = mode === 'rds' && db ? `aws_db_instance.${db.name}[0].identifier` : undefined;
    if ((got === undefined ? undefined : String(got)) !== want) {
      problems.push(`aws_instance.monitor: tag DbInstance must be ${want ?? 'absent'} with db_mode = "${mode}", got ${got}`);
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

// api_autoscaling: either individual API hosts registered one by one, or an Auto Scaling group (and its launch
// template) registered through target_group_arns, never both. The group keeps EC2 health checks (readiness
// fails on every host during a database outage: ELB checks would replace them all), spans both zones, and its
// hosts are what aws_instance.api is: IMDSv2, encrypted gp3, the api profile and group, tagged, same runtime.env.
async function checkAutoscaling(mod, problems, h) {
  const api = resources(mod, 'aws_instance').find((b) => b.name === 'api');
  const asg = resources(mod, 'aws_autoscaling_group').find((b) => b.name === 'api');
  const lt = resources(mod, 'aws_launch_template').find((b) => b.name === 'api');
  const attachments = resources(mod, 'aws_lb_target_group_attachment');
  for (const on of [false, true]) {
    const vars = h.variableValues(mod, { api_autoscaling: on, api_instance_count: 3 });
    const count = async (b) => (b ? instanceCount(mod, b, vars, h) : 0);
    const attached = (await Promise.all(attachments.map(count))).reduce((a, b) => a + b, 0);
    const got = [await count(api), attached, await count(asg), await count(lt)];
    const want = on ? [0, 0, 1, 1] : [3, 3, 0, 0];
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`api_autoscaling = ${on}: expected ${want[0]} API instances, ${want[1]} target group attachments, ${want[2]} aws_autoscaling_group.api, ${want[3]} aws_launch_template.api; got ${got.join(', ')}`);
    }
  }
  if (!asg || !lt) {
    problems.push('aws_autoscaling_group.api and aws_launch_template.api are needed for api_autoscaling');
    return;
  }
  const vars = h.variableValues(mod, { api_autoscaling: true, api_instance_count: 3 });
  const scope = { vars, module: mod, names: { count: { index: 0 } } };
  const get = (body, key) => tryValue(h, body, key, scope);
  const at = 'aws_autoscaling_group.api';
  if ((await get(asg.body, 'health_check_type')) !== 'EC2') problems.push(`${at}: health_check_type must be "EC2": with "ELB", a database outage (readiness down everywhere) replaces every API host`);
  const groups = [].concat((await get(asg.body, 'target_group_arns')) ?? []).map(String);
  if (JSON.stringify(groups) !== JSON.stringify(['aws_lb_target_group.this.arn'])) problems.push(`${at}: target_group_arns must be [aws_lb_target_group.this.arn], got ${JSON.stringify(groups)}`);
  for (const key of ['min_size', 'max_size', 'desired_capacity']) {
    const v = await get(asg.body, key);
    if (v !== 3) problems.push(`${at}: ${key} must be var.api_instance_count (3 here), got ${v}`);
  }
  await checkTwoZones(mod, at, asg.body, 'vpc_zone_identifier', h, problems);
  const ltRef = [].concat(asg.body.launch_template ?? [])[0];
  if (!ltRef || String(await get(ltRef, 'id')) !== 'aws_launch_template.api[0].id') problems.push(`${at}: launch_template must be aws_launch_template.api`);

  const where = 'aws_launch_template.api';
  const md = [].concat(lt.body.metadata_options ?? [])[0];
  if (!md || md.http_tokens !== 'required') problems.push(`${where}: IMDSv2 not enforced: metadata_options { http_tokens = "required" } is missing`);
  const ebs = [].concat(lt.body.block_device_mappings ?? []).flatMap((b) => [].concat(b.ebs ?? []));
  if (ebs.length === 0 || ebs.some((e) => e.encrypted !== true)) problems.push(`${where}: root volume not encrypted: block_device_mappings { ebs { encrypted = true } }`);
  if (ebs.some((e) => e.volume_type !== 'gp3')) problems.push(`${where}: root volume type must be gp3`);
  const profile = [].concat(lt.body.iam_instance_profile ?? [])[0];
  if (!profile || String(await get(profile, 'name')) !== 'aws_iam_instance_profile.this["api"].name') problems.push(`${where}: iam_instance_profile must be the api role's`);
  const nics = [].concat(lt.body.network_interfaces ?? []);
  const sgs = [...[].concat((await get(lt.body, 'vpc_security_group_ids')) ?? []), ...(await Promise.all(nics.map((n) => get(n, 'security_groups')))).flat()].map(String);
  if (JSON.stringify(sgs) !== JSON.stringify(['aws_security_group.this["api"].id'])) problems.push(`${where}: security groups must be [aws_security_group.this["api"].id], got ${JSON.stringify(sgs)}`);
  const instanceTags = [];
  for (const spec of [].concat(lt.body.tag_specifications ?? [])) if ((await get(spec, 'resource_type')) === 'instance') instanceTags.push(await get(spec, 'tags'));
  const tags = instanceTags[0] ?? {};
  if (tags.Role !== 'api' || tags.Project !== vars.project || !tags.Name) problems.push(`${where}: tag_specifications for "instance" must set Project, Role = api and Name (default_tags do not reach a group's instances), got ${JSON.stringify(tags)}`);

  // user_data: base64encode(templatefile(...)) rendering the api's runtime.env.
  const m = /^\$\{base64encode\(([\s\S]*)\)\}$/.exec(String(lt.body.user_data ?? ''));
  if (!m) {
    problems.push(`${where}: user_data must be base64encode(templatefile(...)), as a launch template takes it`);
    return;
  }
  let env;
  try {
    const text = String(await evaluate(`\${${m[1]}}`, scope));
    const files = YAML.parse(text)?.write_files ?? [];
    env = Object.fromEntries(String(files[0]?.content ?? '').split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
  } catch (err) {
    problems.push(`${where}: user_data cannot be rendered: ${err.message}`);
    return;
  }
  const expected = h.expectedRuntimeEnv('api', vars);
  if (JSON.stringify(env, Object.keys(env).sort()) !== JSON.stringify(expected, Object.keys(expected).sort())) {
    problems.push(`${where}: user_data runtime.env ${JSON.stringify(env)}, expected ${JSON.stringify(expected)}`);
  }
}

module.exports = { checkLoadBalancer, checkDatabase, checkAutoscaling };

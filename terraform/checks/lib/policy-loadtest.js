// terraform/checks/lib/policy-loadtest.js
// The rules for multi-host load tests (terraform/README.md, "Multi-host load tests"), checked on the evaluated
// configuration: a private, encrypted, TLS-only results bucket owned by its account, whose runs expire; the
// <project>-loadtest-run document, whose every parameter is constrained (an allowed list, an Integer, or an
// anchored pattern that refuses shell text), running loadtest as the unprivileged loadtest user and uploading
// under runs/; the loadgen role writing only under runs/; and the operator's policy, exported as an output,
// starting that document on the load hosts only and reading only under runs/.
'use strict';

const { Sym, evaluateValue } = require('./expr');

const BUCKET = 'aws_s3_bucket.this';
const RUNS = `${BUCKET}.arn/runs/*`;
// The document's parameters: Integers, or strings from a list or a pattern. Examples a pattern must accept.
const PARAMETERS = {
  stage: { type: 'String' },
  shardIndex: { type: 'Integer' },
  shardCount: { type: 'Integer' },
  startAt: { type: 'String', example: '2026-12-06T06:30:00Z' },
  runId: { type: 'String', example: '20261206T063000Z-normal-3fa2' },
  durationSeconds: { type: 'Integer' },
};
// Text a constrained string parameter must refuse: each would run or change something in the shell, or
// escape the results folder.
const HOSTILE = ['', 'a b', 'a;reboot', '$(id)', '`id`', 'a|b', 'a&b', "a'b", 'a"b', 'a\nb', '../x', 'a/b', '*', 'a>b', 'a<b', 'a$b', 'a\\b',
  '2026-12-06T06:30:00Z; reboot', 'reboot; 2026-12-06T06:30:00Z', 'x\n2026-12-06T06:30:00Z'];
const SEND_ONLY = new Set(['ssm:SendCommand', 'ssm:GetCommandInvocation', 'ssm:ListCommandInvocations', 's3:ListBucket', 's3:GetObject']);
const RUN_COMMAND = ['ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint',
  'ec2messages:GetMessages', 'ec2messages:SendReply'];

function resources(mod, type) {
  return mod.blocks.filter((b) => b.kind === 'resource' && b.type === type);
}

function first(block) {
  return [].concat(block ?? [])[0] ?? {};
}

async function evaluated(value, scope) {
  try {
    return await evaluateValue(value, scope);
  } catch (err) {
    return new Sym(`<cannot evaluate: ${err.message}>`);
  }
}

// The statements of data.aws_iam_policy_document.<name>, evaluated: effect, actions, resources, principals,
// conditions as "test variable=values".
async function documentStatements(mod, name, scope) {
  const block = mod.blocks.find((b) => b.kind === 'data' && b.type === 'aws_iam_policy_document' && b.name === name);
  if (!block) return null;
  const out = [];
  for (const st of [].concat(block.body.statement ?? [])) {
    out.push({
      sid: st.sid,
      effect: st.effect ?? 'Allow',
      actions: (await evaluated(st.actions ?? [], scope)),
      resources: [].concat(await evaluated(st.resources ?? [], scope)).map(String),
      principals: [].concat(st.principals ?? []).map((p) => `${p.type}:${[].concat(p.identifiers).join(',')}`),
      conditions: await Promise.all([].concat(st.condition ?? []).map(async (c) => `${c.test} ${c.variable}=${[].concat(await evaluated(c.values, scope)).join(',')}`)),
    });
  }
  return out;
}

// The name of the policy document a resource's `policy` argument uses (data.aws_iam_policy_document.<name>.json).
function documentOf(block) {
  return /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(String(block?.body.policy ?? ''))?.[1];
}

// The resource of the given type whose `bucket` is the results bucket.
function forBucket(mod, type, problems, why) {
  const found = resources(mod, type).filter((b) => /^\$\{aws_s3_bucket\.this\.(id|bucket)\}$/.test(String(b.body.bucket)));
  if (found.length !== 1) problems.push(`${type} for ${BUCKET}: expected exactly one (${why}), found ${found.length}`);
  return found[0];
}

async function checkBucket(mod, problems, h) {
  const buckets = resources(mod, 'aws_s3_bucket');
  if (buckets.length !== 1 || buckets[0].name !== 'this') {
    problems.push(`expected exactly one aws_s3_bucket, "this" (the load-test results), found ${buckets.map((b) => b.name).join(', ') || 'none'}`);
    return;
  }
  const vars = h.variableValues(mod, { project: 'other-demo' });
  const scope = { vars, module: mod };
  const name = String(await evaluated(buckets[0].body.bucket, scope));
  const want = `other-demo-loadtest-data.aws_caller_identity.current.account_id-${vars.region}`;
  if (name !== want) problems.push(`${BUCKET}: bucket must be "\${var.project}-loadtest-<account id>-\${var.region}" (unique, and named after the project), got ${name}`);
  for (const acl of resources(mod, 'aws_s3_bucket_acl')) problems.push(`aws_s3_bucket_acl.${acl.name}: ACLs are off (BucketOwnerEnforced); grant access with IAM only`);

  const block = forBucket(mod, 'aws_s3_bucket_public_access_block', problems, 'the bucket is private');
  for (const setting of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) {
    if (block && block.body[setting] !== true) problems.push(`aws_s3_bucket_public_access_block.${block.name}: ${setting} must be true, got ${block.body[setting]}: the results bucket must never be public`);
  }
  const ownership = forBucket(mod, 'aws_s3_bucket_ownership_controls', problems, 'objects belong to the bucket owner');
  if (ownership && first(ownership.body.rule).object_ownership !== 'BucketOwnerEnforced') {
    problems.push(`aws_s3_bucket_ownership_controls.${ownership.name}: object_ownership must be BucketOwnerEnforced (ACLs off), got ${first(ownership.body.rule).object_ownership}`);
  }
  const sse = forBucket(mod, 'aws_s3_bucket_server_side_encryption_configuration', problems, 'the results are encrypted at rest');
  const algorithm = sse && first(first(sse.body.rule).apply_server_side_encryption_by_default).sse_algorithm;
  if (sse && !['AES256', 'aws:kms', 'aws:kms:dsse'].includes(algorithm)) problems.push(`aws_s3_bucket_server_side_encryption_configuration.${sse.name}: sse_algorithm must be AES256 or aws:kms, got ${algorithm}`);
  const lifecycle = forBucket(mod, 'aws_s3_bucket_lifecycle_configuration', problems, 'runs expire');
  if (lifecycle) {
    const expiring = [];
    for (const rule of [].concat(lifecycle.body.rule ?? [])) {
      const days = await evaluated(first(rule.expiration).days, scope);
      if (rule.status === 'Enabled' && typeof days === 'number' && days >= 1) expiring.push(rule);
    }
    if (expiring.length === 0) problems.push(`aws_s3_bucket_lifecycle_configuration.${lifecycle.name}: needs an Enabled rule with expiration { days >= 1 }: results must not be kept forever`);
  }

  // The bucket policy: TLS only, and nothing for everyone.
  const policy = forBucket(mod, 'aws_s3_bucket_policy', problems, 'requests without TLS are refused');
  const statements = policy && documentOf(policy) ? await documentStatements(mod, documentOf(policy), scope) : null;
  if (policy && !statements) problems.push(`aws_s3_bucket_policy.${policy.name}: policy must be a data.aws_iam_policy_document's json`);
  if (statements) {
    const tlsOnly = statements.some((st) => st.effect === 'Deny' && st.actions.includes('s3:*') && st.principals.includes('*:*')
      && st.resources.includes(`${BUCKET}.arn`) && st.resources.includes(`${BUCKET}.arn/*`) && st.conditions.includes('Bool aws:SecureTransport=false'));
    if (!tlsOnly) problems.push(`aws_s3_bucket_policy.${policy.name}: must deny s3:* to every principal on the bucket and its objects when aws:SecureTransport is false (requests without TLS)`);
    for (const st of statements.filter((s) => s.effect === 'Allow')) {
      if (st.principals.some((p) => /(^|:|,)\*($|,)/.test(p))) problems.push(`aws_s3_bucket_policy.${policy.name}: statement ${st.sid ?? ''} allows everyone (${st.actions.join(', ')}): the results bucket must never be public`);
    }
  }
}

// The document's parameters: a String must be constrained by an allowed list of plain words or by an anchored
// pattern that refuses shell text and accepts the example; the rest are Integers. Its script: only its own
// parameters, loadtest as the loadtest user, the upload under runs/<run id>/shard-<index>/.
async function checkDocument(mod, problems, h) {
  const block = resources(mod, 'aws_ssm_document').find((b) => b.name === 'loadtest_run');
  const where = 'aws_ssm_document.loadtest_run';
  if (!block) return problems.push(`${where} is missing (scripts/aws-loadtest.sh runs it on every load host)`);
  const vars = h.variableValues(mod, { project: 'other-demo' });
  const scope = { vars, module: mod };
  if ((await h.value(block.body, 'name', scope)) !== `${vars.project}-loadtest-run`) problems.push(`${where}: name must be "\${var.project}-loadtest-run"`);
  if (block.body.document_type !== 'Command') problems.push(`${where}: document_type must be Command`);
  let content;
  try {
    content = JSON.parse(String(await h.value(block.body, 'content', scope)));
  } catch (err) {
    return problems.push(`${where}: content is not JSON: ${err.message}`);
  }
  const params = content.parameters ?? {};
  const names = Object.keys(params).sort();
  if (JSON.stringify(names) !== JSON.stringify(Object.keys(PARAMETERS).sort())) problems.push(`${where}: parameters must be ${Object.keys(PARAMETERS).join(', ')}, got ${names.join(', ')}`);
  for (const [name, p] of Object.entries(params)) {
    const want = PARAMETERS[name];
    if (want && p.type !== want.type) problems.push(`${where}: parameter ${name} must be ${want.type}, got ${p.type}`);
    if (p.type === 'Integer') continue;
    if (p.type !== 'String') {
      problems.push(`${where}: parameter ${name} is a ${p.type}: only constrained Strings and Integers reach the shell`);
      continue;
    }
    if (Array.isArray(p.allowedValues) && p.allowedValues.length > 0) {
      for (const v of p.allowedValues) if (!/^[a-z0-9][a-z0-9-]*$/.test(String(v))) problems.push(`${where}: parameter ${name} allows ${JSON.stringify(v)}, which the shell would read as more than a word`);
      continue;
    }
    if (typeof p.allowedPattern !== 'string') {
      problems.push(`${where}: parameter ${name} takes free text: give it allowedValues or an anchored allowedPattern`);
      continue;
    }
    let re;
    try {
      re = new RegExp(p.allowedPattern);
    } catch (err) {
      problems.push(`${where}: parameter ${name}: allowedPattern is not a regular expression: ${err.message}`);
      continue;
    }
    if (!p.allowedPattern.startsWith('^') || !p.allowedPattern.endsWith('$')) problems.push(`${where}: parameter ${name}: allowedPattern ${p.allowedPattern} must be anchored (^...$), or it takes free text around a match`);
    const accepted = HOSTILE.filter((s) => re.test(s));
    if (accepted.length) problems.push(`${where}: parameter ${name} takes free text: allowedPattern ${p.allowedPattern} accepts ${accepted.map((s) => JSON.stringify(s)).join(', ')}`);
    if (want?.example && !re.test(want.example)) problems.push(`${where}: parameter ${name}: allowedPattern ${p.allowedPattern} refuses a valid value, ${want.example}`);
  }
  const steps = content.mainSteps ?? [];
  if (steps.length === 0 || steps.some((st) => st.action !== 'aws:runShellScript')) problems.push(`${where}: mainSteps must be aws:runShellScript steps`);
  const script = steps.flatMap((st) => st.inputs?.runCommand ?? []).join('\n');
  for (const m of script.matchAll(/\{\{\s*([\w:.-]+)\s*\}\}/g)) if (!Object.hasOwn(params, m[1])) problems.push(`${where}: uses {{ ${m[1]} }}, which is not a parameter`);
  for (const name of Object.keys(params)) if (!new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(script)) problems.push(`${where}: never uses its parameter ${name}`);
  if (!/runuser -u loadtest -- sh -c 'exec loadtest /.test(script)) problems.push(`${where}: must run loadtest as the unprivileged loadtest user (runuser -u loadtest), not as root`);
  if (!/loadtest "\$@"/.test(script) || !/--shard \$index\/\$count --start-at \$start/.test(script)) problems.push(`${where}: must run loadtest --shard <index>/<count> --start-at <start>`);
  if (!/aws s3 cp [^\n]*"\$out" "s3:\/\/aws_s3_bucket\.this\.bucket\/runs\/\$run\/shard-\$index\/"/.test(script)) problems.push(`${where}: must upload to s3://<results bucket>/runs/<run id>/shard-<index>/`);
}

// The stop document: <project>-loadtest-stop, no parameters, SIGTERM to the loadtest user's JVMs only.
async function checkStopDocument(mod, problems, h) {
  const block = resources(mod, 'aws_ssm_document').find((b) => b.name === 'loadtest_stop');
  const where = 'aws_ssm_document.loadtest_stop';
  if (!block) return problems.push(`${where} is missing (scripts/aws-loadtest.sh stops the shards with it on Ctrl-C)`);
  const vars = h.variableValues(mod, { project: 'other-demo' });
  const scope = { vars, module: mod };
  if ((await h.value(block.body, 'name', scope)) !== `${vars.project}-loadtest-stop`) problems.push(`${where}: name must be "\${var.project}-loadtest-stop"`);
  let content;
  try {
    content = JSON.parse(String(await h.value(block.body, 'content', scope)));
  } catch (err) {
    return problems.push(`${where}: content is not JSON: ${err.message}`);
  }
  if (Object.keys(content.parameters ?? {}).length) problems.push(`${where}: must take no parameters, takes ${Object.keys(content.parameters).join(', ')}`);
  const script = (content.mainSteps ?? []).flatMap((st) => st.inputs?.runCommand ?? []).join('\n');
  if (!/^pkill -TERM -u loadtest -x java\b/.test(script)) problems.push(`${where}: must only SIGTERM the loadtest user's JVMs (pkill -TERM -u loadtest -x java), got ${JSON.stringify(script)}`);
}

// What each principal may do with the bucket and the documents.
async function checkPermissions(mod, problems, h) {
  const vars = h.variableValues(mod, { loadgen_instance_count: 3 });
  const scope = { vars, module: mod };
  const statements = await h.policyStatements(mod, vars);

  // loadgen: receives Run Command, and writes under runs/ only.
  const loadgen = statements.filter((st) => st.roles.includes('loadgen') && st.effect === 'Allow');
  const actions = new Set(loadgen.flatMap((st) => st.actions));
  for (const a of RUN_COMMAND) if (!actions.has(a)) problems.push(`role loadgen: missing ${a}: the SSM agent cannot receive the loadtest-run document`);
  const s3 = loadgen.flatMap((st) => st.actions.filter((a) => a.startsWith('s3:')).map((a) => `${a} on ${st.resources.join(', ')}`));
  if (JSON.stringify(s3) !== JSON.stringify([`s3:PutObject on ${RUNS}`])) problems.push(`role loadgen: s3:PutObject must be limited to ${RUNS}, and it may do nothing else in S3; got [${s3.join('; ')}]`);
  for (const st of statements.filter((s) => s.effect === 'Allow')) {
    for (const r of st.resources) if (/^aws_s3_bucket\.this\.arn(\/\*)?$/.test(r) && st.actions.some((a) => a === 's3:PutObject' || a === 's3:DeleteObject')) problems.push(`data.aws_iam_policy_document.${st.doc}: ${st.actions.join(', ')} on ${r}: writes go under runs/ only`);
  }

  // The operator: the document on the load hosts, its invocations, reading under runs/; exported as an output.
  const policies = resources(mod, 'aws_iam_policy').filter((b) => b.name === 'loadtest_operator');
  if (policies.length !== 1) return problems.push('aws_iam_policy.loadtest_operator is missing (the operator attaches it to run scripts/aws-loadtest.sh)');
  const name = documentOf(policies[0]);
  const operator = name && (await documentStatements(mod, name, scope));
  if (!operator) return problems.push('aws_iam_policy.loadtest_operator: policy must be a data.aws_iam_policy_document\'s json');
  const where = `data.aws_iam_policy_document.${name}`;
  const allow = operator.filter((st) => st.effect === 'Allow');
  const hosts = Array.from({ length: 3 }, (_, i) => `aws_instance.loadgen["${vars.project}-loadgen-${i + 1}"].arn`);
  const send = allow.filter((st) => st.actions.includes('ssm:SendCommand')).flatMap((st) => st.resources).sort();
  const wantSend = [...hosts, 'aws_ssm_document.loadtest_run.arn', 'aws_ssm_document.loadtest_stop.arn'].sort();
  if (JSON.stringify(send) !== JSON.stringify(wantSend)) problems.push(`${where}: ssm:SendCommand must be limited to the load hosts and the loadtest-run and loadtest-stop documents [${wantSend.join(', ')}], got [${send.join(', ')}]`);
  for (const st of allow) {
    for (const a of st.actions) if (!SEND_ONLY.has(a)) problems.push(`${where}: ${a} is more than the coordinator needs (${[...SEND_ONLY].join(', ')})`);
    if (st.actions.includes('s3:GetObject') && JSON.stringify(st.resources) !== JSON.stringify([RUNS])) problems.push(`${where}: s3:GetObject must be limited to ${RUNS}, got [${st.resources.join(', ')}]`);
    if (st.actions.includes('s3:ListBucket') && (JSON.stringify(st.resources) !== JSON.stringify([`${BUCKET}.arn`]) || !st.conditions.includes('StringLike s3:prefix=runs/*'))) {
      problems.push(`${where}: s3:ListBucket must be on ${BUCKET}.arn with the condition StringLike s3:prefix = runs/*`);
    }
  }
  const exported = Object.values(mod.outputs).some((o) => /aws_iam_policy\.loadtest_operator\.arn/.test(String(o.value)));
  if (!exported) problems.push('aws_iam_policy.loadtest_operator: no output exports its ARN (the operator needs it to attach the policy)');
}

async function checkLoadtestRuns(mod, problems, h) {
  await checkBucket(mod, problems, h);
  await checkDocument(mod, problems, h);
  await checkStopDocument(mod, problems, h);
  await checkPermissions(mod, problems, h);
}

module.exports = { checkLoadtestRuns };

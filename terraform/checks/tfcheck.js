// terraform/checks/tfcheck.js
// Runs the static checks of a Terraform module without a Terraform binary: fmt, parse, schema, policy.
//
// Usage: node tfcheck.js [module dir, default ..] [--only fmt,parse,schema,policy]
// Prints one line per check ("ok <check>" or "FAIL <check>" followed by its problems) and exits 1 on any failure.
'use strict';

const path = require('node:path');
const { loadModule } = require('./lib/module');
const { checkFormat } = require('./lib/fmt');
const { checkSchema } = require('./lib/schema');
const { checkPolicy } = require('./lib/policy');

const CHECKS = ['fmt', 'parse', 'schema', 'policy'];

// { check: [problems] } for the module in dir. After a syntax error, schema and policy report that they
// did not run rather than cascading messages about a half-read module.
async function runChecks(dir, only = CHECKS) {
  const mod = await loadModule(dir);
  const results = {};
  if (only.includes('fmt')) results.fmt = await checkFormat(dir);
  if (only.includes('parse')) results.parse = mod.errors;
  const skipped = mod.errors.length ? ['not run: the module does not parse'] : null;
  if (only.includes('schema')) results.schema = skipped ?? (await checkSchema(mod));
  if (only.includes('policy')) results.policy = skipped ?? (await checkPolicy(mod));
  return results;
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--only');
  const only = at >= 0 ? args.splice(at, 2)[1].split(',') : CHECKS;
  const dir = path.resolve(args[0] ?? path.join(__dirname, '..'));
  const results = await runChecks(dir, only);
  let failed = 0;
  for (const [check, problems] of Object.entries(results)) {
    if (problems.length === 0) {
      console.log(`ok   ${check}`);
      continue;
    }
    failed++;
    console.log(`FAIL ${check}`);
    for (const p of problems) console.log(`     ${p}`);
  }
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err.stack);
    process.exitCode = 2;
  });
}

module.exports = { runChecks, CHECKS };

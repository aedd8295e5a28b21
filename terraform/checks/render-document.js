// terraform/checks/render-document.js
// Prints the content of one aws_ssm_document as Terraform would upload it, with the values that are known only
// after apply given on the command line. The coordinator's test runs the rendered loadtest-run document.
//
// Usage: node render-document.js <module dir> <resource name> [--var name=value]... [--known address.attr=value]...
//   e.g. node render-document.js terraform loadtest_run --known aws_s3_bucket.this.bucket=my-bucket
'use strict';

const path = require('node:path');
const { loadModule } = require('./lib/module');
const { evaluateValue, Sym } = require('./lib/expr');

async function main() {
  const [dir, name, ...rest] = process.argv.slice(2);
  if (!dir || !name) throw new Error('usage: render-document.js <module dir> <resource name> [--var n=v]... [--known a.b.attr=v]...');
  const mod = await loadModule(path.resolve(dir));
  if (mod.errors.length) throw new Error(`the module does not parse: ${mod.errors.join('; ')}`);
  const vars = {};
  for (const [n, v] of Object.entries(mod.variables)) vars[n] = Object.hasOwn(v, 'default') ? v.default : null;
  const known = {};
  for (let i = 0; i < rest.length; i += 2) {
    const m = /^([^=]+)=(.*)$/s.exec(rest[i + 1] ?? '');
    if (!m) throw new Error(`${rest[i]} needs name=value`);
    if (rest[i] === '--var') vars[m[1]] = m[2];
    else if (rest[i] === '--known') {
      const at = m[1].lastIndexOf('.');
      (known[m[1].slice(0, at)] ??= {})[m[1].slice(at + 1)] = m[2];
    } else throw new Error(`unknown option ${rest[i]}`);
  }
  const block = mod.blocks.find((b) => b.kind === 'resource' && b.type === 'aws_ssm_document' && b.name === name);
  if (!block) throw new Error(`no aws_ssm_document.${name} in ${dir}`);
  const content = await evaluateValue(block.body.content, { vars, module: mod, known });
  // A value known only after apply stays as its expression (aws_x.y.attr): say which instead of printing it.
  const text = content instanceof Sym ? content.text : String(content);
  const unknown = /\b(?:data\.)?aws_[a-z0-9_]+\.[a-z0-9_]+(?:\[[^\]]+\])?\.[a-z_]+/.exec(text);
  if (unknown) throw new Error(`the content needs ${unknown[0]}: give it with --known ${unknown[0]}=<value>`);
  process.stdout.write(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
}

main().catch((err) => {
  console.error(`render-document: ${err.message}`);
  process.exitCode = 2;
});

// terraform/checks/lib/schema.js
// What `terraform validate` would reject, checked against the pinned provider schema (schema/providers.json):
// unknown block kinds, resource and data types, arguments and nested blocks; missing required arguments;
// literal values of the wrong type; references to undeclared variables, locals, resources, data sources and
// unknown attributes; unknown functions; templatefile() paths and template variables.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const hcl = require('@cdktn/hcl2json');
const { expressions, interpolations, stripStrings, references, forVariables, evaluate } = require('./expr');

const SCHEMA = require('../schema/providers.json');

const META = {
  resource: ['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection'],
  data: ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'],
  ephemeral: ['count', 'for_each', 'depends_on', 'provider', 'lifecycle'],
};
const FIXED = {
  variable: ['type', 'default', 'description', 'validation', 'sensitive', 'nullable', 'ephemeral'],
  output: ['value', 'description', 'sensitive', 'depends_on', 'precondition', 'ephemeral'],
  terraform: ['required_version', 'required_providers', 'backend', 'cloud', 'experiments', 'provider_meta'],
  module: ['source', 'version', 'providers', 'count', 'for_each', 'depends_on'],
};
const LIFECYCLE = ['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition'];
const KINDS = ['terraform', 'provider', 'variable', 'locals', 'resource', 'data', 'ephemeral', 'output', 'module', 'moved', 'import', 'check', 'removed'];

// Terraform 1.11's built-in functions.
const FUNCTIONS = new Set(`abs abspath alltrue anytrue base64decode base64encode base64gzip base64sha256 base64sha512 basename
bcrypt can ceil chomp chunklist cidrhost cidrnetmask cidrsubnet cidrsubnets coalesce coalescelist compact concat contains
csvdecode dirname distinct element endswith ephemeralasnull file filebase64 filebase64sha256 filebase64sha512 fileexists
filemd5 fileset filesha1 filesha256 filesha512 flatten floor format formatdate formatlist indent index issensitive join
jsondecode jsonencode keys length log lookup lower matchkeys max md5 merge min nonsensitive one parseint pathexpand plantimestamp
pow range regex regexall replace reverse rsadecrypt sensitive setintersection setproduct setsubtract setunion sha1 sha256
sha512 signum slice sort split startswith strcontains strrev substr sum templatefile templatestring textdecodebase64
textencodebase64 timeadd timecmp timestamp title tobool tolist tomap tonumber toset tostring transpose trim trimprefix
trimspace trimsuffix try type upper urlencode uuid uuidv5 values yamldecode yamlencode zipmap`.split(/\s+/));

function suggest(name, options) {
  let best = null;
  let bestDistance = 3;
  for (const option of options) {
    const d = distance(name, option);
    if (d < bestDistance) [best, bestDistance] = [option, d];
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function distance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function label(block) {
  if (block.type) return `${block.kind === 'resource' ? '' : `${block.kind}.`}${block.type}.${block.name}`;
  return block.name ? `${block.kind} "${block.name}"` : block.kind;
}

function isLiteral(value) {
  return typeof value !== 'string' || !(value.includes('${') || value.includes('%{'));
}

// Arguments and nested blocks of one body against its schema.
function checkBody(body, schema, where, problems, meta = []) {
  for (const [key, value] of Object.entries(body)) {
    if (meta.includes(key)) {
      if (key === 'lifecycle') {
        for (const b of [].concat(value)) for (const k of Object.keys(b)) if (!LIFECYCLE.includes(k)) problems.push(`${where}: unknown lifecycle argument "${k}"${suggest(k, LIFECYCLE)}`);
      }
      continue;
    }
    if (key === 'dynamic') {
      for (const [name, dyn] of Object.entries(value)) {
        const nested = schema.blocks?.[name];
        if (!nested) {
          problems.push(`${where}: unknown dynamic block "${name}"${suggest(name, Object.keys(schema.blocks ?? {}))}`);
          continue;
        }
        for (const d of dyn) for (const content of [].concat(d.content ?? [])) checkBody(content, nested, `${where}.${name}`, problems);
      }
      continue;
    }
    if (schema.blocks?.[key]) {
      for (const b of [].concat(value)) if (b && typeof b === 'object' && !Array.isArray(b)) checkBody(b, schema.blocks[key], `${where}.${key}`, problems);
      continue;
    }
    const arg = schema.args?.[key];
    if (!arg) {
      const options = [...Object.keys(schema.args ?? {}), ...Object.keys(schema.blocks ?? {})];
      const computed = (schema.computed ?? []).includes(key) ? ' (it is read-only, computed by the provider)' : '';
      problems.push(`${where}: unknown argument "${key}"${computed || suggest(key, options)}`);
      continue;
    }
    // Literal values only, with Terraform's own conversions ("32" is a number, "true" a bool).
    if (isLiteral(value) && value !== null) {
      const fits = {
        string: () => typeof value !== 'object',
        number: () => typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))),
        bool: () => typeof value === 'boolean' || value === 'true' || value === 'false',
        list: () => Array.isArray(value),
        map: () => typeof value === 'object' && !Array.isArray(value),
      }[arg.type];
      if (fits && !fits()) problems.push(`${where}: argument "${key}" must be a ${arg.type}, got ${JSON.stringify(value)}`);
    }
  }
  const present = new Set([...Object.keys(body), ...Object.keys(body.dynamic ?? {})]);
  for (const [name, arg] of Object.entries(schema.args ?? {})) if (arg.required && !present.has(name)) problems.push(`${where}: missing required argument "${name}"`);
  for (const [name, b] of Object.entries(schema.blocks ?? {})) if (b.required && !present.has(name)) problems.push(`${where}: missing required block "${name}"`);
}

function typeSchema(kind, type) {
  return SCHEMA[kind]?.[type];
}

function attributes(schema) {
  return new Set(['id', ...Object.keys(schema.args ?? {}), ...Object.keys(schema.blocks ?? {}), ...(schema.computed ?? [])]);
}

async function checkReferences(mod, block, problems) {
  const where = label(block);
  const declared = (kind, type, name) => mod.blocks.some((b) => b.kind === kind && b.type === type && b.name === name);
  const iterators = new Set(Object.keys(block.body.dynamic ?? {}));
  for (const dyn of Object.values(block.body.dynamic ?? {})) for (const d of dyn) if (d.iterator) iterators.add(d.iterator);
  const hasForEach = block.body.for_each !== undefined;
  const hasCount = block.body.count !== undefined;

  for (const { where: at, expr } of expressions(block.body)) {
    // Type constraints and ignore_changes name things; they refer to nothing.
    if ((block.kind === 'variable' && at === 'type') || /(^|\.)ignore_changes/.test(at)) continue;
    const local = forVariables(expr);
    let refs;
    try {
      refs = await references(block.file, expr);
    } catch (err) {
      problems.push(`${where}.${at}: ${err.message}`);
      continue;
    }
    for (const segs of refs) {
      const [root, a, b] = segs;
      const ref = segs.join('.');
      if (local.has(root) || iterators.has(root)) continue;
      if (root === 'var') {
        if (!Object.hasOwn(mod.variables, a)) problems.push(`${where}.${at}: reference to undeclared variable var.${a}${suggest(a, Object.keys(mod.variables))}`);
      } else if (root === 'local') {
        if (!Object.hasOwn(mod.locals, a)) problems.push(`${where}.${at}: reference to undeclared local.${a}${suggest(a, Object.keys(mod.locals))}`);
      } else if (root === 'each') {
        if (!hasForEach) problems.push(`${where}.${at}: each.${a} used in a block without for_each`);
      } else if (root === 'count') {
        if (!hasCount) problems.push(`${where}.${at}: count.${a} used in a block without count`);
      } else if (['path', 'terraform', 'self'].includes(root)) {
        continue;
      } else if (root === 'data' || root === 'ephemeral') {
        const kind = root;
        if (!declared(kind, a, b)) {
          problems.push(`${where}.${at}: reference to undeclared ${kind}.${a}.${b}`);
        } else {
          checkAttribute(kind, a, segs.slice(3), `${where}.${at}`, ref, problems);
        }
      } else if (root === 'module') {
        if (!mod.blocks.some((x) => x.kind === 'module' && x.name === a)) problems.push(`${where}.${at}: reference to undeclared module.${a}`);
      } else if (SCHEMA.type_names.resource.includes(root) || mod.blocks.some((x) => x.kind === 'resource' && x.type === root)) {
        if (!declared('resource', root, a)) problems.push(`${where}.${at}: reference to undeclared resource ${root}.${a}`);
        else checkAttribute('resource', root, segs.slice(2), `${where}.${at}`, ref, problems);
      } else {
        problems.push(`${where}.${at}: unknown reference "${ref}"`);
      }
    }
    // Attributes after a computed index (aws_instance.api[each.key].private_ip) are not in the parser's
    // static references; find them in the source text.
    for (const body of interpolations(expr).map(stripStrings)) {
      for (const m of body.matchAll(/(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([a-z_][\w-]*)\[[^\]]*\]\.([a-z_][\w]*)/g)) {
        const kind = m[1] ? 'data' : 'resource';
        if (declared(kind, m[2], m[3])) checkAttribute(kind, m[2], [m[4]], `${where}.${at}`, m[0], problems);
      }
      for (const m of body.matchAll(/(?<![\w.])([a-z][a-z0-9_]*)\(/g)) {
        if (!FUNCTIONS.has(m[1]) && !['for', 'if', 'in'].includes(m[1])) problems.push(`${where}.${at}: call to unknown function ${m[1]}()${suggest(m[1], FUNCTIONS)}`);
      }
    }
  }
}

function checkAttribute(kind, type, rest, where, ref, problems) {
  const schema = typeSchema(kind, type);
  if (!schema) return;
  const name = rest.find((s) => !/^"|^\d+$|^\*$/.test(s));
  if (name && !attributes(schema).has(name)) problems.push(`${where}: ${ref}: ${type} has no attribute "${name}"${suggest(name, attributes(schema))}`);
}

async function checkTemplates(mod, block, problems) {
  for (const { where, expr } of expressions(block.body)) {
    for (const body of interpolations(expr)) {
      const m = /(?<![\w.])templatefile\(\s*([^,]+?)\s*,\s*\{([\s\S]*)\}\s*\)\s*$/.exec(body.trim());
      if (!m) continue;
      let file;
      try {
        file = await evaluate(`\${${m[1]}}`, { vars: {}, module: mod });
      } catch {
        continue;
      }
      const full = path.join(mod.dir, String(file));
      if (!fs.existsSync(full)) {
        problems.push(`${label(block)}.${where}: templatefile(): no such file ${file}`);
        continue;
      }
      const passed = topLevelKeys(m[2]);
      for (const name of templateVariables(fs.readFileSync(full, 'utf8'))) {
        if (!passed.has(name)) problems.push(`${label(block)}.${where}: template ${file} uses "${name}" but templatefile() does not pass it`);
      }
    }
  }
}

function topLevelKeys(objectBody) {
  const keys = new Set();
  let depth = 0;
  let token = '';
  let quote = false;
  for (const c of objectBody) {
    if (quote) {
      if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) depth--;
    else if (depth === 0 && c === '=') {
      const k = token.trim().split(/[\s,]+/).pop().replace(/"/g, '');
      if (k) keys.add(k);
      token = '';
      continue;
    }
    if (depth === 0) token = c === ',' || c === '\n' ? '' : token + c;
  }
  return keys;
}

function templateVariables(template) {
  const names = new Set();
  const bound = forVariables(template);
  for (const body of interpolations(template)) {
    const code = stripStrings(body).replace(/^\s*~|~\s*$/g, '');
    for (const m of code.matchAll(/(?<![\w.])([A-Za-z_][\w]*)(?![\w(])/g)) {
      if (!['for', 'in', 'endfor', 'if', 'else', 'endif', 'true', 'false', 'null'].includes(m[1]) && !bound.has(m[1])) names.add(m[1]);
    }
  }
  return names;
}

// terraform.tfvars.example must only set declared variables, so copying it never fails.
async function checkExampleValues(mod, problems) {
  const file = path.join(mod.dir, 'terraform.tfvars.example');
  if (!fs.existsSync(file)) return;
  let values;
  try {
    values = await hcl.parse('terraform.tfvars.example', fs.readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`terraform.tfvars.example: ${err.message}`);
    return;
  }
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(mod.variables, name)) problems.push(`terraform.tfvars.example: sets undeclared variable "${name}"${suggest(name, Object.keys(mod.variables))}`);
  }
  for (const [name, v] of Object.entries(mod.variables)) {
    if (!Object.hasOwn(v, 'default') && !Object.hasOwn(values, name)) problems.push(`terraform.tfvars.example: required variable "${name}" is missing`);
  }
}

async function checkSchema(mod) {
  const problems = [];
  await checkExampleValues(mod, problems);
  const seen = new Set();
  for (const block of mod.blocks) {
    const where = label(block);
    if (!KINDS.includes(block.kind)) {
      problems.push(`${block.file}: unknown block type "${block.kind}"${suggest(block.kind, KINDS)}`);
      continue;
    }
    if (block.type) {
      const key = `${block.kind}.${block.type}.${block.name}`;
      if (seen.has(key)) problems.push(`${block.file}: duplicate ${where}`);
      seen.add(key);
      const schema = typeSchema(block.kind, block.type);
      if (!schema) {
        const known = SCHEMA.type_names[block.kind].includes(block.type);
        problems.push(known
          ? `${block.file}: ${where}: ${block.type} is not in the pruned schema; run checks/regenerate-schema.sh`
          : `${block.file}: ${where}: unknown ${block.kind} type "${block.type}"${suggest(block.type, SCHEMA.type_names[block.kind])}`);
      } else {
        checkBody(block.body, schema, where, problems, META[block.kind]);
      }
    } else if (block.kind === 'provider') {
      const schema = SCHEMA.providers[block.name];
      if (!schema) problems.push(`${block.file}: unknown provider "${block.name}"`);
      else checkBody(block.body, { ...schema, args: { ...schema.args, alias: { type: 'string' } } }, where, problems);
    } else if (FIXED[block.kind]) {
      for (const key of Object.keys(block.body)) if (!FIXED[block.kind].includes(key)) problems.push(`${block.file}: ${where}: unknown argument "${key}"${suggest(key, FIXED[block.kind])}`);
    }
    await checkReferences(mod, block, problems);
    await checkTemplates(mod, block, problems);
  }
  return problems;
}

module.exports = { checkSchema };

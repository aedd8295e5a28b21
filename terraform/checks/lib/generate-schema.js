// terraform/checks/lib/generate-schema.js
// Regenerates schema/providers.json, the pruned provider schema the checks use, from the CDK Terrain packages.
//
// The .jsii manifest inside @cdktn/provider-aws is generated from the real provider schema, and its doc links
// keep each argument's Terraform name ("...docs/resources/instance#http_tokens Instance#http_tokens"). We keep
// the full list of type names (so a misspelt type is "unknown", not "missing from the pruned file") and the
// arguments, nested blocks and attributes of the types terraform/*.tf uses, plus any listed with --keep.
//
// Usage (see ../regenerate-schema.sh, which downloads the packages with `npm pack`):
//   node lib/generate-schema.js --aws <package dir> --random <package dir> --module .. [--keep type,...]
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { loadModule } = require('./module');

const LINK = /registry\.terraform\.io\/providers\/hashicorp\/(\w+)\/([\d.]+)\/docs\/(resources|data-sources|ephemeral-resources)\/\S+ (\S+)\}/;
const KINDS = { resources: 'resource', 'data-sources': 'data', 'ephemeral-resources': 'ephemeral' };

function snake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

// The Terraform name of a config property, from its registry link ("#http_tokens Instance#http_tokens").
function tfName(prop) {
  const text = `${prop.docs?.remarks ?? ''} ${prop.docs?.summary ?? ''}`;
  const m = text.match(/#([a-z0-9_]+) [A-Za-z0-9]+#[a-z0-9_]+\}/);
  return m ? m[1] : snake(prop.name);
}

// The fqn of a nested-block interface if the property is a block (single, list or resolvable list of it).
function blockFqn(type, types) {
  if (!type) return null;
  if (type.fqn && types[type.fqn]?.kind === 'interface') return type.fqn;
  if (type.collection?.kind === 'array') return blockFqn(type.collection.elementtype, types);
  if (type.union) {
    for (const t of type.union.types) {
      const f = blockFqn(t, types);
      if (f) return f;
    }
  }
  return null;
}

function valueType(type) {
  if (!type) return 'any';
  if (type.primitive) return type.primitive === 'boolean' ? 'bool' : type.primitive;
  if (type.collection) return type.collection.kind === 'map' ? 'map' : 'list';
  if (type.union) {
    const kinds = type.union.types.filter((t) => t.fqn !== 'cdktn.IResolvable').map(valueType);
    return kinds.length === 1 ? kinds[0] : 'any';
  }
  return 'any';
}

// Properties of an interface including the ones it inherits from other interfaces of the same assembly
// (never the cdktn meta-arguments: count, for_each, provider, lifecycle, depends_on).
function properties(fqn, types) {
  const t = types[fqn];
  if (!t) return [];
  const inherited = (t.interfaces ?? []).filter((i) => !i.startsWith('cdktn.')).flatMap((i) => properties(i, types));
  return [...inherited, ...(t.properties ?? [])];
}

function blockSchema(fqn, types, depth = 0) {
  const block = { args: {}, blocks: {} };
  for (const prop of properties(fqn, types)) {
    const name = tfName(prop);
    const nested = depth < 6 ? blockFqn(prop.type, types) : null;
    if (nested) {
      block.blocks[name] = { ...(prop.optional ? {} : { required: true }), ...blockSchema(nested, types, depth + 1) };
    } else {
      block.args[name] = { type: valueType(prop.type), ...(prop.optional ? {} : { required: true }) };
    }
  }
  if (Object.keys(block.blocks).length === 0) delete block.blocks;
  return block;
}

function classSchema(cls, types) {
  const config = cls.initializer?.parameters?.find((p) => p.name === 'config');
  const block = config ? blockSchema(config.type.fqn, types) : { args: {} };
  const settable = new Set([...Object.keys(block.args), ...Object.keys(block.blocks ?? {})]);
  const computed = new Set();
  for (const prop of cls.properties ?? []) {
    if (prop.static || prop.name.endsWith('Input')) continue;
    const name = snake(prop.name.replace(/Attribute$/, ''));
    if (!settable.has(name)) computed.add(name);
  }
  block.computed = [...computed].sort();
  return block;
}

function readAssembly(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, '.jsii'), 'utf8'));
}

function extract(assembly, wanted, out) {
  const types = assembly.types;
  for (const cls of Object.values(types)) {
    if (cls.kind !== 'class') continue;
    const summary = cls.docs?.summary ?? '';
    if (cls.base === 'cdktn.TerraformProvider') {
      const m = summary.match(/providers\/hashicorp\/(\w+)\/([\d.]+)/);
      if (m) out.providers[m[1]] = { version: m[2], ...blockSchema(cls.initializer.parameters.find((p) => p.name === 'config').type.fqn, types) };
      continue;
    }
    const m = summary.match(LINK);
    if (!m) continue;
    const kind = KINDS[m[3]];
    const type = m[4];
    out.type_names[kind].push(type);
    if (wanted[kind].has(type)) out[kind][type] = classSchema(cls, types);
  }
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const moduleDir = path.resolve(opt('module') ?? path.join(__dirname, '..', '..'));
  const mod = await loadModule(moduleDir);
  if (mod.errors.length) throw new Error(mod.errors.join('\n'));
  const wanted = { resource: new Set(), data: new Set(), ephemeral: new Set() };
  for (const b of mod.blocks) if (wanted[b.kind]) wanted[b.kind].add(b.type);
  for (const spec of (opt('keep') ?? '').split(',').filter(Boolean)) {
    const [kind, type] = spec.split(':');
    wanted[kind].add(type);
  }
  const out = { comment: 'Generated by lib/generate-schema.js; do not edit by hand.', providers: {}, type_names: { resource: [], data: [], ephemeral: [] }, resource: {}, data: {}, ephemeral: {} };
  for (const pkg of [opt('aws'), opt('random')]) {
    const assembly = readAssembly(pkg);
    out.providers[assembly.name] = undefined;
    delete out.providers[assembly.name];
    extract(assembly, wanted, out);
    out.generated_from = [...(out.generated_from ?? []), `${assembly.name}@${assembly.version}`];
  }
  for (const kind of ['resource', 'data', 'ephemeral']) {
    out.type_names[kind] = [...new Set(out.type_names[kind])].sort();
    const missing = [...wanted[kind]].filter((t) => !out[kind][t]);
    if (missing.length) throw new Error(`not found in the provider packages: ${kind} ${missing.join(', ')}`);
  }
  const target = path.join(__dirname, '..', 'schema', 'providers.json');
  fs.writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${target}: ${Object.keys(out.resource).length} resources, ${Object.keys(out.data).length} data sources, ${Object.keys(out.ephemeral).length} ephemeral resources (of ${out.type_names.resource.length}/${out.type_names.data.length}/${out.type_names.ephemeral.length})`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

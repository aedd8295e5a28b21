// terraform/checks/lib/module.js
// Loads a Terraform module directory with HashiCorp's HCL parser (hcl2json, compiled to wasm) into blocks.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const hcl = require('@cdktn/hcl2json');

const TF_FILE = /\.tf$/;

// Every *.tf file of dir, parsed. Syntax errors are collected, not thrown, so one run reports them all.
async function loadModule(dir) {
  const files = fs.readdirSync(dir).filter((f) => TF_FILE.test(f)).sort();
  const mod = { dir, files: {}, blocks: [], variables: {}, locals: {}, outputs: {}, errors: [] };
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    mod.files[file] = text;
    let json;
    try {
      json = await hcl.parse(file, text);
    } catch (err) {
      mod.errors.push(String(err.message ?? err).replace(/^parse config: \[?|\]$/g, ''));
      continue;
    }
    collect(mod, file, json);
  }
  await parseTemplates(mod);
  return mod;
}

// templates/*.tftpl are HCL templates (the syntax of a heredoc's body): parse each as one, so an unclosed
// %{ for } or ${ fails here and not at plan time.
async function parseTemplates(mod) {
  const dir = path.join(mod.dir, 'templates');
  if (!fs.existsSync(dir)) return;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.tftpl')).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const marker = 'END_OF_TEMPLATE_9F2C';
    try {
      await hcl.parse(`templates/${file}`, `template = <<${marker}\n${text}${text.endsWith('\n') ? '' : '\n'}${marker}\n`);
    } catch (err) {
      // Line numbers are one off: the heredoc opener is line 1.
      const message = String(err.message ?? err).replace(/^parse config: \[?|\]$/g, '');
      const shift = (n) => String(Number(n) - 1);
      mod.errors.push(message.replace(/(templates\/[^:\s]+:)(\d+)(,\d+-)(?:(\d+),)?/g, (m, name, line, mid, end) => `${name}${shift(line)}${mid}${end ? `${shift(end)},` : ''}`));
    }
  }
}

function collect(mod, file, json) {
  for (const [kind, value] of Object.entries(json)) {
    switch (kind) {
      case 'resource':
      case 'data':
      case 'ephemeral':
        for (const [type, byName] of Object.entries(value)) {
          for (const [name, bodies] of Object.entries(byName)) {
            for (const body of bodies) mod.blocks.push({ kind, type, name, body, file });
          }
        }
        break;
      case 'variable':
      case 'output':
      case 'module':
      case 'provider':
        for (const [name, bodies] of Object.entries(value)) {
          for (const body of bodies) {
            mod.blocks.push({ kind, type: null, name, body, file });
            if (kind === 'variable') addUnique(mod, mod.variables, name, body, `variable "${name}"`, file);
            if (kind === 'output') addUnique(mod, mod.outputs, name, body, `output "${name}"`, file);
          }
        }
        break;
      case 'locals':
        for (const body of value) {
          for (const [name, expr] of Object.entries(body)) addUnique(mod, mod.locals, name, expr, `local.${name}`, file);
        }
        mod.blocks.push({ kind, type: null, name: null, body: Object.assign({}, ...value), file });
        break;
      default:
        for (const body of [].concat(value)) mod.blocks.push({ kind, type: null, name: null, body, file });
    }
  }
}

function addUnique(mod, table, name, value, label, file) {
  if (Object.hasOwn(table, name)) mod.errors.push(`${file}: duplicate ${label}`);
  table[name] = value;
}

module.exports = { loadModule };

// terraform/checks/lib/fmt.js
// Formatting as `terraform fmt` has it: hclwrite's Format (HashiCorp's own, compiled to wasm) plus the two
// rewrites terraform fmt adds on top: unwrapping interpolation-only strings and unquoting variable types.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { format } = require('@cdktn/hcl-tools');

const FILES = /\.(tf|tfvars|tfvars\.example)$/;

async function checkFormat(dir) {
  const problems = [];
  for (const file of fs.readdirSync(dir).filter((f) => FILES.test(f)).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    let formatted;
    try {
      formatted = await format(text);
    } catch {
      problems.push(`${file}: cannot be formatted (syntax error; see the parse check)`);
      continue;
    }
    if (formatted !== text) {
      const a = text.split('\n');
      const b = formatted.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      problems.push(`${file}:${line + 1}: not formatted as terraform fmt would: "${a[line]?.trim()}" should be "${b[line]?.trim()}"`);
    }
    for (const [i, line] of text.split('\n').entries()) {
      if (/^\s*[\w-]+\s*=\s*"\$\{[^"{}]*\}"\s*(#.*)?$/.test(line)) {
        problems.push(`${file}:${i + 1}: interpolation-only string (terraform fmt unwraps it): ${line.trim()}`);
      }
      if (/^\s*type\s*=\s*"(string|number|bool|any|list|map|set)"/.test(line)) {
        problems.push(`${file}:${i + 1}: quoted type constraint (terraform fmt unquotes it): ${line.trim()}`);
      }
    }
    if (!text.endsWith('\n')) problems.push(`${file}: no newline at the end of the file`);
  }
  return problems;
}

module.exports = { checkFormat };

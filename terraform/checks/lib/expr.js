// terraform/checks/lib/expr.js
// Expressions as hcl2json leaves them ("${...}" strings): their references and a small evaluator.
//
// The evaluator walks the syntax tree that HashiCorp's parser returns (getExpressionAst) and knows the
// handful of functions this module's locals, variable validations and rule maps use. Anything it cannot
// know before apply (a resource's id, a data source) becomes a Sym: a string such as
// 'aws_security_group.this["api"].id', which is exactly what the policy checks compare against.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const hcl = require('@cdktn/hcl2json');

class Sym {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
  // Inside jsonencode(): the expression, as text.
  toJSON() {
    return this.text;
  }
}

class Unknown extends Error {}

// Every string in a parsed body (values and object keys) that holds an interpolation or a directive.
function* expressions(value, where = []) {
  if (typeof value === 'string') {
    if (value.includes('${') || value.includes('%{')) yield { where: where.join('.'), expr: value };
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* expressions(v, [...where, i]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('${')) yield { where: [...where, k].join('.'), expr: k };
      yield* expressions(v, [...where, k]);
    }
  }
}

// The bodies of the ${...} and %{...} sequences of a template string, quoted strings inside them kept.
function interpolations(text) {
  const out = [];
  for (let i = 0; i < text.length - 1; i++) {
    if ((text[i] === '$' || text[i] === '%') && text[i + 1] === '{' && text[i - 1] !== text[i]) {
      let depth = 0;
      let j = i + 1;
      let quote = false;
      for (; j < text.length; j++) {
        const c = text[j];
        if (quote) {
          if (c === '\\') j++;
          else if (c === '"') quote = false;
        } else if (c === '"') quote = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      out.push(text.slice(i + 2, j));
      i = j;
    }
  }
  return out;
}

function stripStrings(code) {
  return code.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

// hcl2json gives a template's text unescaped; quote it again so the parser sees the original expression.
function toHclTemplate(expr) {
  let out = '';
  let rest = expr;
  for (const body of interpolations(expr)) {
    const at = rest.search(/[$%]\{/);
    const marker = rest.slice(at, at + 2);
    out += rest.slice(0, at).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + marker + body + '}';
    rest = rest.slice(at + 2 + body.length + 1);
  }
  return `"${out}${rest.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

async function references(file, expr) {
  const refs = await hcl.getReferencesInExpression(file, toHclTemplate(expr));
  return refs.map((r) => r.value.match(/"[^"]*"|[^.]+/g));
}

// Names bound by for-expressions ([for k, v in x : ...]) inside an expression.
function forVariables(expr) {
  const names = new Set();
  for (const m of expr.matchAll(/\bfor\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\b/g)) {
    names.add(m[1]);
    if (m[2]) names.add(m[2]);
  }
  return names;
}

////////////////////////////////////////////////////////////////////////////////
// Evaluator
////////////////////////////////////////////////////////////////////////////////

const astCache = new Map();
async function ast(source) {
  if (!astCache.has(source)) astCache.set(source, await hcl.getExpressionAst('expr', source).catch(() => null));
  return astCache.get(source);
}

function text(source, node) {
  return source.slice(node.range.start.byte, node.range.end.byte);
}

// An index segment of a traversal as written: "api" (quoted) or 0.
function segmentKey(segment) {
  return segment.startsWith('"') ? JSON.parse(segment) : /^\d+$/.test(segment) ? Number(segment) : segment;
}

function index(collection, key) {
  if (collection instanceof Sym) return new Sym(`${collection.text}[${JSON.stringify(key instanceof Sym ? key.text : key)}]`);
  if (collection == null || typeof collection !== 'object') throw new Unknown(`cannot index ${collection}`);
  if (!Object.hasOwn(collection, key)) throw new Error(`no element ${JSON.stringify(key)}`);
  return collection[key];
}

function attr(value, name) {
  if (value instanceof Sym) return new Sym(`${value.text}.${name}`);
  if (value == null || typeof value !== 'object' || !Object.hasOwn(value, name)) throw new Error(`no attribute ${name}`);
  return value[name];
}

function ipv4(addr) {
  const parts = addr.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) throw new Error(`invalid IP address ${addr}`);
  return parts.map(Number);
}

function cidr(value) {
  const m = /^([^/]+)\/(\d+)$/.exec(String(value));
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR ${value}`);
  ipv4(m[1]);
  return Number(m[2]);
}

const FUNCTIONS = {
  alltrue: (l) => Object.values(l).every(Boolean),
  anytrue: (l) => Object.values(l).some(Boolean),
  cidrhost: (c) => (cidr(c), c),
  cidrnetmask: (c) => (cidr(c), c),
  cidrsubnet: (c, bits) => {
    if (cidr(c) + bits > 32) throw new Error('not enough bits');
    return c;
  },
  concat: (...ls) => ls.flat(),
  contains: (l, v) => Object.values(l).includes(v),
  floor: Math.floor,
  format: (f, ...a) => f.replace(/%[sd]/g, () => String(a.shift())),
  join: (sep, l) => l.join(sep),
  jsonencode: (v) => JSON.stringify(v),
  keys: (m) => Object.keys(m).sort(),
  length: (v) => (typeof v === 'string' ? [...v].length : Object.keys(v).length),
  lower: (s) => s.toLowerCase(),
  max: Math.max,
  merge: (...ms) => Object.assign({}, ...ms),
  min: Math.min,
  one: (l) => {
    if (l.length > 1) throw new Error('one() of more than one element');
    return l.length ? l[0] : null;
  },
  range: (a, b) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i),
  regex: (re, s) => {
    const m = new RegExp(re).exec(s);
    if (!m) throw new Error('no match');
    return m[0];
  },
  setintersection: (a, b) => a.filter((x) => b.includes(x)),
  sort: (l) => [...l].sort(),
  split: (sep, s) => s.split(sep),
  startswith: (s, p) => s.startsWith(p),
  tolist: (l) => [...l],
  tonumber: (v) => {
    const n = Number(v);
    if (v === null || v === '' || Number.isNaN(n)) throw new Error(`not a number: ${v}`);
    return n;
  },
  toset: (l) => [...new Set(l)],
  tostring: String,
  upper: (s) => s.toUpperCase(),
  values: (m) => Object.keys(m).sort().map((k) => m[k]),
};

function binary(op, a, b) {
  // Comparing or combining values known only after apply gives a value known only after apply.
  if (a instanceof Sym || b instanceof Sym) throw new Unknown('symbolic operand');
  switch (op) {
    case 'logicalAnd': return a && b;
    case 'logicalOr': return a || b;
    case 'equal': return JSON.stringify(a) === JSON.stringify(b);
    case 'notEqual': return JSON.stringify(a) !== JSON.stringify(b);
    case 'greaterThan': return a > b;
    case 'greaterThanOrEqual': return a >= b;
    case 'lessThan': return a < b;
    case 'lessThanOrEqual': return a <= b;
    case 'add': return a + b;
    case 'subtract': return a - b;
    case 'multiply': return a * b;
    case 'divide': return a / b;
    case 'modulo': return a % b;
    default: throw new Unknown(`operator ${op}`);
  }
}

// The syntax tree keeps a template's literal parts as source text: undo HCL's escapes the way Terraform reads
// them. A quoted string knows \" \\ \n \r \t \uNNNN \UNNNNNNNN, and both kinds know $${ and %%{ (a literal ${ and %{);
// a heredoc takes backslashes literally.
function unescapeLiteral(text, heredoc) {
  const pattern = heredoc ? /\$\$\{|%%\{/g : /\\(["\\nrt]|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})|\$\$\{|%%\{/g;
  return text.replace(pattern, (m, esc) => {
    if (m === '$${') return '${';
    if (m === '%%{') return '%{';
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    return { n: '\n', r: '\r', t: '\t' }[esc] ?? esc;
  });
}

// scope: { vars, module (for locals and symbols), each, names (for-expression variables), heredoc (inside a
// heredoc template) }
async function evalNode(source, node, scope) {
  switch (node.type) {
    case 'literalValue': {
      const { type, value } = node.meta;
      if (type === 'number') return Number(value);
      if (type === 'bool') return value === 'true';
      if (value === 'null') return null;
      return value;
    }
    case 'template': {
      const parts = [];
      for (const child of node.children) {
        const part = await evalNode(source, child, scope);
        parts.push(child.type === 'literalValue' && typeof part === 'string' ? unescapeLiteral(part, scope.heredoc) : part);
      }
      if (parts.length === 1 && !(typeof parts[0] === 'string')) return parts[0];
      return parts.some((p) => p instanceof Sym) ? new Sym(parts.join('')) : parts.map((p) => (p === null ? '' : p)).join('');
    }
    case '':
      if (node.children.length === 1) return evalNode(source, node.children[0], scope);
      throw new Unknown('empty node');
    case 'tuple': {
      const out = [];
      for (const child of node.children) out.push(await evalNode(source, child, scope));
      return out;
    }
    case 'object': {
      const out = {};
      for (let i = 0; i < node.children.length; i += 2) {
        const keyNode = node.children[i];
        const key = keyNode.type === '' && keyNode.children.length === 0 ? text(source, keyNode) : await evalNode(source, keyNode, scope);
        out[String(key)] = await evalNode(source, node.children[i + 1], scope);
      }
      return out;
    }
    case 'scopeTraversal':
      return traverse(node.meta.traversal, scope);
    case 'relativeTraversal': {
      let value = await evalNode(source, node.children[0], scope);
      for (const part of node.meta.traversal) value = part.type === 'indexTraversal' ? index(value, segmentKey(part.segment)) : attr(value, part.segment);
      return value;
    }
    case 'index':
      return index(await evalNode(source, node.children[0], scope), await evalNode(source, node.children[1], scope));
    case 'conditional': {
      const cond = await evalNode(source, node.children[0], scope);
      if (cond instanceof Sym) throw new Unknown('symbolic condition');
      return evalNode(source, node.children[cond ? 1 : 2], scope);
    }
    case 'unaryOp': {
      const v = await evalNode(source, node.children[0], scope);
      if (v instanceof Sym) throw new Unknown('symbolic operand');
      return node.meta.operator === 'logicalNot' ? !v : -v;
    }
    case 'binaryOp': {
      const [l, r] = node.children;
      return binary(node.meta.operator, await evalNode(source, l, scope), await evalNode(source, r, scope));
    }
    case 'function':
      return call(source, node, scope);
    case 'for':
      return evalFor(node.meta, scope);
    case 'templateJoin':
      return evalTemplateFor(source, node.children[0], scope);
    default:
      throw new Unknown(`expression type ${node.type}`);
  }
}

async function call(source, node, scope) {
  const name = node.meta.name;
  if (name === 'can' || name === 'try') {
    for (const child of node.children) {
      try {
        const v = await evalNode(source, child, scope);
        if (name === 'try') return v;
        return true;
      } catch (err) {
        if (err instanceof Unknown) throw err;
        if (name === 'can') return false;
      }
    }
    throw new Error('no try() argument succeeded');
  }
  const args = [];
  for (const child of node.children) args.push(await evalNode(source, child, scope));
  if (name === 'templatefile' && typeof args[0] === 'string' && scope.module) {
    const text = fs.readFileSync(path.join(scope.module.dir, args[0]), 'utf8');
    return renderTemplate(text, args[1], scope);
  }
  if (args.some((a) => a instanceof Sym)) return new Sym(`${name}(${args.join(', ')})`);
  if (!FUNCTIONS[name]) throw new Unknown(`function ${name}`);
  return FUNCTIONS[name](...args);
}

// %{ for k, v in collection } body %{ endfor } inside a template: the body rendered once per element.
async function evalTemplateFor(source, node, scope) {
  const { meta } = node;
  const collection = await evalNode(source, node.children[0], scope);
  if (collection instanceof Sym) throw new Unknown('symbolic collection');
  const parts = [];
  for (const [k, v] of Object.entries(collection)) {
    const names = { ...scope.names };
    if (meta.keyVar) names[meta.keyVar] = Array.isArray(collection) ? Number(k) : k;
    names[meta.valVar] = v;
    parts.push(await evalNode(source, node.children[node.children.length - 1], { ...scope, names }));
  }
  return parts.some((p) => p instanceof Sym) ? new Sym(parts.join('')) : parts.join('');
}

// Applies the ~ strip markers of template directives, which the syntax tree reports but does not apply
// (its literal values are source text). HCL splits template literals after each newline and strips whitespace
// from the adjacent token only: "%{ for x in y ~}" removes the rest of its own line including the newline,
// not the next line's indentation; "%{~ endfor }" removes the whitespace before it back to the line start.
function trimFirstToken(v) {
  const end = v.indexOf('\n') + 1 || v.length;
  return v.slice(0, end).trimStart() + v.slice(end);
}

function trimLastToken(v) {
  const body = v.endsWith('\n') ? v.slice(0, -1) : v;
  const start = body.lastIndexOf('\n') + 1;
  return v.slice(0, start) + v.slice(start).trimEnd();
}

function applyStripMarkers(node) {
  const kids = node.children ?? [];
  kids.forEach(applyStripMarkers);
  const literal = (n) => n && n.type === 'literalValue' && n.meta.type === 'string';
  for (let i = 0; i < kids.length; i++) {
    const join = kids[i];
    if (join.type !== 'templateJoin') continue;
    const loop = join.children[0];
    const body = loop.children[loop.children.length - 1];
    const first = body.type === 'template' ? body.children[0] : body;
    const last = body.type === 'template' ? body.children[body.children.length - 1] : body;
    const { openRangeValue: open = '', closeRangeValue: close = '' } = loop.meta;
    if (open.endsWith('~}') && literal(first)) first.meta.value = trimFirstToken(first.meta.value);
    if (close.startsWith('%{~') && literal(last)) last.meta.value = trimLastToken(last.meta.value);
    if (open.startsWith('%{~') && literal(kids[i - 1])) kids[i - 1].meta.value = trimLastToken(kids[i - 1].meta.value);
    if (close.endsWith('~}') && literal(kids[i + 1])) kids[i + 1].meta.value = trimFirstToken(kids[i + 1].meta.value);
  }
  return node;
}

// Renders a template file's text the way templatefile() does, with vars as its variables.
async function renderTemplate(text, vars, scope) {
  const marker = 'END_OF_TEMPLATE_9F2C';
  const source = `<<${marker}\n${text}${text.endsWith('\n') ? '' : '\n'}${marker}\n`;
  const node = await hcl.getExpressionAst('template', source);
  // The heredoc adds the final newline of the last line; templatefile() keeps the file exactly.
  const rendered = await evalNode(source, applyStripMarkers(node), { ...scope, vars: {}, names: vars, heredoc: true });
  return text.endsWith('\n') ? rendered : rendered instanceof Sym ? new Sym(rendered.text.replace(/\n$/, '')) : rendered.replace(/\n$/, '');
}

async function evalFor(meta, scope) {
  const collection = await evaluate(`\${${meta.collectionExpression}}`, scope);
  if (collection instanceof Sym) throw new Unknown('symbolic collection');
  const isList = Array.isArray(collection);
  const out = meta.keyExpression ? {} : [];
  for (const [k, v] of Object.entries(collection)) {
    const names = { ...scope.names };
    if (meta.keyVar) names[meta.keyVar] = isList ? Number(k) : k;
    names[meta.valVar] = v;
    const inner = { ...scope, names };
    if (meta.conditionalExpression && !(await evaluate(`\${${meta.conditionalExpression}}`, inner))) continue;
    const value = await evaluate(`\${${meta.valueExpression}}`, inner);
    if (meta.keyExpression) out[await evaluate(`\${${meta.keyExpression}}`, inner)] = value;
    else out.push(value);
  }
  return out;
}

async function traverse(traversal, scope) {
  const [root, ...rest] = traversal.map((t) => t.segment);
  let value;
  let consumed = 1;
  if (root === 'var') {
    if (!Object.hasOwn(scope.vars, rest[0])) throw new Unknown(`var.${rest[0]}`);
    value = scope.vars[rest[0]];
    consumed = 2;
  } else if (root === 'local') {
    value = await local(rest[0], scope);
    consumed = 2;
  } else if (root === 'each') {
    if (!scope.each) throw new Unknown('each outside for_each');
    value = scope.each;
  } else if (scope.names && Object.hasOwn(scope.names, root)) {
    value = scope.names[root];
  } else if (root === 'path') {
    value = { module: '.', root: '.', cwd: '.' };
  } else {
    // A resource, data source or module: known only after apply, unless the caller says what it will be
    // (scope.known, as render-document.js does).
    const n = root === 'data' || root === 'ephemeral' ? 3 : 2;
    const name = traversal.slice(0, n).map((t) => t.segment).join('.');
    value = scope.known && Object.hasOwn(scope.known, name) ? scope.known[name] : new Sym(name);
    consumed = n;
  }
  for (const part of traversal.slice(consumed)) {
    value = part.type === 'indexTraversal' ? index(value, segmentKey(part.segment)) : attr(value, part.segment);
  }
  return value;
}

async function local(name, scope) {
  const mod = scope.module;
  if (!Object.hasOwn(mod.locals, name)) throw new Error(`undeclared local.${name}`);
  const cache = (scope.localCache ??= new Map());
  if (!cache.has(name)) cache.set(name, evaluateValue(mod.locals[name], { vars: scope.vars, module: mod, known: scope.known, localCache: cache }));
  return cache.get(name);
}

// A value from hcl2json: a literal, a "${...}" string, or an object/array holding either.
async function evaluateValue(value, scope) {
  if (typeof value === 'string') return evaluate(value, scope);
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluateValue(v, scope)));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k.includes('${') ? String(await evaluate(k, scope)) : k] = await evaluateValue(v, scope);
    return out;
  }
  return value;
}

async function evaluate(expr, scope) {
  if (typeof expr !== 'string' || !(expr.includes('${') || expr.includes('%{'))) return expr;
  const whole = /^\$\{([\s\S]*)\}$/.exec(expr);
  const source = whole && interpolations(expr).length === 1 && interpolations(expr)[0] === whole[1] ? whole[1] : toHclTemplate(expr);
  const node = await ast(source);
  if (!node) throw new Unknown(`cannot parse ${expr}`);
  return evalNode(source, node, scope);
}

module.exports = { Sym, Unknown, expressions, interpolations, stripStrings, references, forVariables, evaluate, evaluateValue, renderTemplate };

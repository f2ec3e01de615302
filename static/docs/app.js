// FluenzR API reference: renders /v1/openapi.json into readable HTML.
// Plain ES2020, no dependencies, works offline.
'use strict';
(() => {
  const SPEC_URL = '/v1/openapi.json';
  const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];
  const MAX_DEPTH = 8;
  let DOC = {};

  const byId = (id) => document.getElementById(id);
  const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) =>
    ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x';

  // ---------- Markdown-ish text ----------
  function inline(src) {
    const parts = String(src ?? '').split(/(`+[^`]*`+)/);
    return parts.map((p, i) => {
      if (i % 2 === 1) return '<code>' + esc(p.replace(/^`+|`+$/g, '')) + '</code>';
      return esc(p)
        .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^\w*])\*([^*\s][^*]*?)\*(?!\w)/g, '$1<em>$2</em>')
        .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, text, url) =>
          /^(https?:|mailto:|\/|#)/i.test(url) ? `<a href="${url}">${text}</a>` : m);
    }).join('');
  }

  function splitRow(line) {
    const cells = [];
    let cur = '', code = false;
    const s = line.trim().replace(/^\|/, '').replace(/\|$/, '');
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '`') code = !code;
      if (c === '\\' && s[i + 1] === '|') { cur += '|'; i++; continue; }
      if (c === '|' && !code) { cells.push(cur.trim()); cur = ''; continue; }
      cur += c;
    }
    cells.push(cur.trim());
    return cells;
  }

  const FENCE = /^\s*(```|~~~)/;
  const BULLET = /^\s*[-*+]\s+/;
  const NUMBERED = /^\s*\d+[.)]\s+/;
  const TABLE_SEP = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
  const isTableStart = (lines, i) => lines[i].includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]);
  const isBlockStart = (lines, i) => FENCE.test(lines[i]) || /^#{1,6}\s/.test(lines[i]) ||
    BULLET.test(lines[i]) || NUMBERED.test(lines[i]) || /^>/.test(lines[i]) || isTableStart(lines, i);

  function md(src) {
    const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
    const out = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (!line.trim()) { i++; continue; }
      if ((m = FENCE.exec(line))) {
        const lang = line.trim().slice(3).trim();
        const buf = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(m[1])) buf.push(lines[i++]);
        i++;
        out.push(`<pre><code${lang ? ` data-lang="${esc(lang)}"` : ''}>${esc(buf.join('\n'))}</code></pre>`);
      } else if ((m = /^(#{1,6})\s+(.*?)\s*#*$/.exec(line))) {
        const lvl = Math.min(6, m[1].length + 2);
        out.push(`<h${lvl}>${inline(m[2])}</h${lvl}>`);
        i++;
      } else if (isTableStart(lines, i)) {
        const head = splitRow(line);
        i += 2;
        let h = '<div class="table-wrap"><table><thead><tr>' + head.map((c) => `<th>${inline(c)}</th>`).join('') + '</tr></thead><tbody>';
        while (i < lines.length && lines[i].includes('|') && lines[i].trim()) {
          h += '<tr>' + splitRow(lines[i]).map((c) => `<td>${inline(c)}</td>`).join('') + '</tr>';
          i++;
        }
        out.push(h + '</tbody></table></div>');
      } else if (BULLET.test(line) || NUMBERED.test(line)) {
        const re = BULLET.test(line) ? BULLET : NUMBERED;
        const tag = re === BULLET ? 'ul' : 'ol';
        const items = [];
        while (i < lines.length && lines[i].trim()) {
          if (re.test(lines[i])) items.push(lines[i].replace(re, ''));
          else if (/^\s+/.test(lines[i]) && items.length) items[items.length - 1] += ' ' + lines[i].trim();
          else break;
          i++;
        }
        out.push(`<${tag}>` + items.map((t) => `<li>${inline(t)}</li>`).join('') + `</${tag}>`);
      } else if (/^>/.test(line)) {
        const buf = [];
        while (i < lines.length && /^>/.test(lines[i])) buf.push(lines[i++].replace(/^>\s?/, ''));
        out.push(`<blockquote>${md(buf.join('\n'))}</blockquote>`);
      } else {
        const buf = [line];
        i++;
        while (i < lines.length && lines[i].trim() && !isBlockStart(lines, i)) buf.push(lines[i++]);
        out.push(`<p>${inline(buf.join(' '))}</p>`);
      }
    }
    return out.join('\n');
  }

  // ---------- $ref handling ----------
  function pointer(ref) {
    if (typeof ref !== 'string' || !ref.startsWith('#')) return undefined;
    let cur = DOC;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = cur[key];
    }
    return cur;
  }
  const refName = (ref) => decodeURIComponent(String(ref).split('/').pop()).replace(/~1/g, '/').replace(/~0/g, '~');
  const isSchemaRef = (ref) => String(ref).startsWith('#/components/schemas/');

  // Resolve a (non-schema) object that may be a $ref; sibling keys override the target.
  function deref(obj, guard = 0) {
    if (!isObj(obj) || typeof obj.$ref !== 'string' || guard > 20) return obj;
    const target = pointer(obj.$ref);
    if (!isObj(target)) return { ...obj, unresolved: obj.$ref };
    const { $ref, ...rest } = obj;
    return deref({ ...target, ...rest }, guard + 1);
  }

  const isNullSchema = (s) => isObj(s) && (s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null'));
  // `anyOf/oneOf: [X, {type: null}]` is just "X or null".
  function nullableOf(s) {
    const alts = s.oneOf || s.anyOf;
    if (!Array.isArray(alts) || alts.length !== 2 || s.properties) return null;
    const n = alts.findIndex(isNullSchema);
    return n < 0 ? null : alts[1 - n];
  }
  function resolveFull(s) {
    let guard = 0;
    while (isObj(s) && guard++ < 20) {
      if (typeof s.$ref === 'string') {
        const t = pointer(s.$ref);
        if (!isObj(t)) return {};
        const { $ref, ...rest } = s;
        s = Object.keys(rest).length ? { ...t, ...rest } : t;
      } else {
        const n = nullableOf(s);
        if (!n) return s;
        s = s.description && isObj(n) && !n.description ? { ...n, description: s.description } : n;
      }
    }
    return isObj(s) ? s : {};
  }

  function mergeAllOf(s, stack) {
    const out = { ...s, properties: { ...(s.properties || {}) }, required: [...(s.required || [])] };
    delete out.allOf;
    for (let part of s.allOf) {
      let guard = 0;
      while (isObj(part) && part.$ref && guard++ < 20) {
        if (stack.includes(part.$ref)) return null;
        part = pointer(part.$ref);
      }
      if (!isObj(part)) return null;
      if (part.allOf) part = mergeAllOf(part, stack);
      if (!part || part.oneOf || part.anyOf) return null;
      const t = Array.isArray(part.type) ? part.type.filter((x) => x !== 'null') : part.type ? [part.type] : [];
      if (t.some((x) => x !== 'object')) return null;
      Object.assign(out.properties, part.properties || {});
      out.required.push(...(part.required || []));
      if (out.additionalProperties === undefined && part.additionalProperties !== undefined) out.additionalProperties = part.additionalProperties;
      if (!out.description && part.description) out.description = part.description;
    }
    if (!Object.keys(out.properties).length) delete out.properties;
    out.type = out.type || 'object';
    return out;
  }

  // ---------- Schema rendering ----------
  const refLink = (ref) => isSchemaRef(ref)
    ? `<a class="ref" href="#schema-${esc(slug(refName(ref)))}">${esc(refName(ref))}</a>`
    : `<code>${esc(ref)}</code>`;

  function typeLabel(s, d = 0) {
    if (s === true || s === undefined || s === null) return 'any';
    if (s === false) return 'nothing';
    if (!isObj(s) || d > MAX_DEPTH) return 'any';
    if (typeof s.$ref === 'string') return refLink(s.$ref) + (s.nullable ? ' | null' : '');
    const nn = nullableOf(s);
    if (nn) return typeLabel(nn, d + 1) + ' | null';
    if ('const' in s) return 'const ' + esc(JSON.stringify(s.const));
    let types = Array.isArray(s.type) ? s.type.slice() : s.type ? [s.type] : [];
    if (!types.length) {
      if (s.properties || s.additionalProperties !== undefined) types = ['object'];
      else if (s.items) types = ['array'];
      else if (Array.isArray(s.allOf)) return s.allOf.length === 1 ? typeLabel(s.allOf[0], d + 1) : mergeAllOf(s, []) ? 'object' : 'all of';
      else if (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)) {
        const alts = s.oneOf || s.anyOf;
        return alts.length && alts.length <= 4 ? alts.map((a) => typeLabel(a, d + 1)).join(' | ') : s.oneOf ? 'one of' : 'any of';
      }
      else if (Array.isArray(s.enum)) types = [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))];
      else return 'any';
    }
    if (s.nullable && !types.includes('null')) types.push('null');
    return types.map((t) => {
      if (t === 'array') {
        const inner = typeLabel(s.items, d + 1);
        return 'array of ' + (inner.includes(' | ') ? `(${inner})` : inner);
      }
      if (t === 'object' && !s.properties && (isObj(s.additionalProperties) || s.additionalProperties === true)) return 'map of string → ' + typeLabel(s.additionalProperties, d + 1);
      if (s.format && t !== 'null') return `${esc(t)} <span class="fmt">(${esc(s.format)})</span>`;
      return esc(t);
    }).join(' | ');
  }

  const val = (v) => `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`;
  function facts(s) {
    if (!isObj(s)) return '';
    const f = [];
    if (Array.isArray(s.enum)) f.push('Allowed: ' + s.enum.map(val).join(' '));
    if ('default' in s) f.push('Default: ' + val(s.default));
    const c = [['minimum', '≥'], ['exclusiveMinimum', '>'], ['maximum', '≤'], ['exclusiveMaximum', '<'],
      ['minLength', 'min length '], ['maxLength', 'max length '], ['minItems', 'min items '], ['maxItems', 'max items '],
      ['minProperties', 'min keys '], ['maxProperties', 'max keys ']];
    for (const [k, label] of c) if (typeof s[k] === 'number') f.push(label + esc(s[k]));
    if (s.uniqueItems) f.push('unique items');
    if (s.pattern) f.push('Pattern: ' + val(s.pattern));
    const ex = 'example' in s ? s.example : Array.isArray(s.examples) && s.examples.length ? s.examples[0] : undefined;
    if (ex !== undefined && (typeof ex !== 'object' || ex === null || JSON.stringify(ex).length <= 80)) f.push('Example: ' + val(ex));
    return f.length ? `<div class="facts">${f.map((x) => `<span>${x}</span>`).join('')}</div>` : '';
  }

  // Everything below a schema's type line: properties, variants, items.
  function structure(s, stack, depth) {
    if (!isObj(s) || depth > MAX_DEPTH) return '';
    if (typeof s.$ref === 'string') {
      if (stack.includes(s.$ref)) return `<div class="note">Recursive: see ${refLink(s.$ref)}.</div>`;
      const t = pointer(s.$ref);
      if (!isObj(t)) return `<div class="note warn">Unresolved reference <code>${esc(s.$ref)}</code>.</div>`;
      return structure(t, [...stack, s.$ref], depth);
    }
    const nn = nullableOf(s);
    if (nn) return structure(nn, stack, depth);
    let h = '';
    if (Array.isArray(s.allOf)) {
      const merged = mergeAllOf(s, stack);
      if (merged) return structure(merged, stack, depth);
      h += variants('All of', s.allOf, stack, depth);
    }
    if (Array.isArray(s.oneOf)) h += variants('One of', s.oneOf, stack, depth);
    if (Array.isArray(s.anyOf)) h += variants('Any of', s.anyOf, stack, depth);
    if (s.discriminator && s.discriminator.propertyName) h += `<div class="note">Discriminated by <code>${esc(s.discriminator.propertyName)}</code>.</div>`;
    const props = isObj(s.properties) ? s.properties : null;
    const ap = s.additionalProperties;
    if (props) {
      const req = new Set(Array.isArray(s.required) ? s.required : []);
      h += '<ul class="props">';
      for (const [name, p] of Object.entries(props)) h += propItem(name, p, req.has(name), stack, depth);
      if (isObj(ap)) h += propItem('*', ap, false, stack, depth, 'Any other key.');
      h += '</ul>';
      if (ap === false) h += '<div class="note">No other fields are accepted.</div>';
    } else if (isObj(ap)) {
      const inner = facts(resolveFull(ap)) + structure(ap, stack, depth + 1);
      if (inner) h += `<div class="items"><div class="items-label">Each value:</div>${inner}</div>`;
    }
    if (isObj(s.items)) {
      const inner = facts(resolveFull(s.items)) + structure(s.items, stack, depth + 1);
      if (inner) h += `<div class="items"><div class="items-label">Each item:</div>${inner}</div>`;
    }
    return h;
  }

  function variants(label, list, stack, depth) {
    return `<div class="variants"><div class="variants-label">${label}:</div><ol>` + list.map((v) => {
      const r = resolveFull(v);
      const desc = r.description ? `<div class="prop-desc">${inline(r.description)}</div>` : '';
      return `<li><span class="type">${typeLabel(v)}</span>${desc}${facts(r)}${structure(v, stack, depth + 1)}</li>`;
    }).join('') + '</ol></div>';
  }

  function propItem(name, p, required, stack, depth, descOverride) {
    const r = resolveFull(p);
    const flags = [];
    if (required) flags.push('<span class="flag req">required</span>');
    if (r.readOnly) flags.push('<span class="flag">read-only</span>');
    if (r.writeOnly) flags.push('<span class="flag">write-only</span>');
    if (r.deprecated) flags.push('<span class="flag warn">deprecated</span>');
    const desc = descOverride || r.description;
    let h = `<li class="prop"><div class="prop-line"><span class="prop-name">${esc(name)}</span> <span class="type">${typeLabel(p)}</span> ${flags.join(' ')}</div>`;
    if (desc) h += `<div class="prop-desc">${inline(desc)}</div>`;
    h += facts(r);
    const inner = structure(p, stack, depth + 1);
    if (inner) {
      let target = isObj(p) ? p : {};
      if (!target.$ref && isObj(target.items)) target = target.items;
      const nn = nullableOf(target);
      if (nn && nn.$ref) target = nn;
      const what = target.$ref ? esc(refName(target.$ref)) + ' fields' : 'Fields';
      h += `<details class="nested"${depth < 1 ? ' open' : ''}><summary>${what}</summary>${inner}</details>`;
    }
    return h + '</li>';
  }

  function schemaBlock(s, stack = []) {
    if (s === undefined) return '';
    const r = resolveFull(s);
    const desc = r.description ? `<div class="schema-desc md">${md(r.description)}</div>` : '';
    return `<div class="schema"><div class="schema-type">Schema: <span class="type">${typeLabel(s)}</span></div>${desc}${facts(r)}${structure(s, stack, 0)}</div>`;
  }

  // ---------- Examples ----------
  const STRINGS = { email: 'jane@example.com', 'date-time': '2025-01-15T10:30:00Z', date: '2025-01-15', uri: 'https://example.com', url: 'https://example.com', uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6', hostname: 'smtp.example.com', ipv4: '192.0.2.1', password: 'secret' };
  function sample(s, stack = [], depth = 0) {
    if (!isObj(s) || depth > 6) return null;
    if (typeof s.$ref === 'string') return stack.includes(s.$ref) ? null : sample(pointer(s.$ref), [...stack, s.$ref], depth);
    if ('example' in s) return s.example;
    if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
    if ('const' in s) return s.const;
    if ('default' in s) return s.default;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum.find((v) => v !== null) ?? s.enum[0];
    if (Array.isArray(s.allOf)) {
      const m = mergeAllOf(s, stack);
      return m ? sample(m, stack, depth) : sample(s.allOf[0], stack, depth);
    }
    const alts = s.oneOf || s.anyOf;
    if (Array.isArray(alts) && alts.length && !s.properties) return sample(alts.find((a) => !isNullSchema(a)) || alts[0], stack, depth);
    let t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') || 'null' : s.type;
    if (!t) t = s.properties || s.additionalProperties ? 'object' : s.items ? 'array' : '';
    switch (t) {
      case 'object': {
        const o = {};
        for (const [k, p] of Object.entries(s.properties || {})) {
          if (!resolveFull(p).readOnly) o[k] = sample(p, stack, depth + 1);
        }
        if (!s.properties && isObj(s.additionalProperties)) o.key = sample(s.additionalProperties, stack, depth + 1);
        return o;
      }
      case 'array': return isObj(s.items) ? [sample(s.items, stack, depth + 1)] : [];
      case 'string': return STRINGS[s.format] ?? 'string';
      case 'integer': case 'number': return typeof s.minimum === 'number' ? s.minimum : 0;
      case 'boolean': return true;
      default: return null;
    }
  }

  // Explicit examples of a media type object: [{name, summary, value}].
  function mediaExamples(m) {
    if ('example' in m) return [{ value: m.example }];
    if (isObj(m.examples)) {
      return Object.entries(m.examples).slice(0, 6).map(([name, e]) => {
        const x = deref(e) || {};
        return { name, summary: x.summary, value: x.value, external: x.externalValue };
      }).filter((x) => x.value !== undefined || x.external);
    }
    const s = resolveFull(m.schema);
    if ('example' in s) return [{ value: s.example }];
    if (Array.isArray(s.examples) && s.examples.length) return [{ value: s.examples[0] }];
    return [];
  }
  const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  function exampleBlock(ex, generated) {
    const label = generated ? 'Example (generated from the schema)' : ex.name ? `Example: ${esc(ex.summary || ex.name)}` : 'Example';
    const body = ex.value === undefined ? `See <code>${esc(ex.external)}</code>` : `<pre><code>${esc(show(ex.value))}</code></pre>`;
    return `<div class="example"><div class="example-label">${label}</div>${body}</div>`;
  }

  // ---------- Operations ----------
  function collectParams(pathItem, op) {
    const map = new Map();
    for (const p of [...(pathItem.parameters || []), ...(op.parameters || [])]) {
      const r = deref(p);
      if (isObj(r) && r.name) map.set(r.in + ':' + r.name, r);
    }
    return [...map.values()];
  }

  function paramsTable(params) {
    if (!params.length) return '';
    const order = { path: 0, query: 1, header: 2, cookie: 3 };
    const rows = params.slice().sort((a, b) => (order[a.in] ?? 9) - (order[b.in] ?? 9)).map((p) => {
      const schema = p.schema || (isObj(p.content) ? Object.values(p.content)[0].schema : undefined);
      const r = resolveFull(schema);
      let desc = p.description ? md(p.description) : r.description ? md(r.description) : '';
      if (p.deprecated) desc += '<span class="flag warn">deprecated</span>';
      const ex = p.example !== undefined ? `<div class="facts"><span>Example: ${val(p.example)}</span></div>` : '';
      return `<tr class="param" data-name="${esc(p.name)}" data-in="${esc(p.in)}"><td><code class="param-name">${esc(p.name)}</code></td><td>${esc(p.in)}</td>` +
        `<td><span class="type">${schema ? typeLabel(schema) : 'string'}</span></td>` +
        `<td>${p.required ? '<span class="flag req">required</span>' : '<span class="muted">optional</span>'}</td>` +
        `<td class="md">${desc}${facts(r)}${ex}</td></tr>`;
    }).join('');
    return `<div class="block params"><h4>Parameters</h4><div class="table-wrap"><table class="params-table"><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>${rows}</tbody></table></div></div>`;
  }

  function mediaBlock(type, m, generate) {
    m = isObj(m) ? m : {};
    let h = `<div class="media" data-content-type="${esc(type)}"><div class="content-type">Content type <code>${esc(type)}</code></div>`;
    if (m.schema !== undefined) h += schemaBlock(m.schema);
    const exs = mediaExamples(m);
    if (exs.length) h += exs.map((e) => exampleBlock(e, false)).join('');
    else if (generate && /json/.test(type) && m.schema !== undefined) h += exampleBlock({ value: sample(m.schema) }, true);
    return h + '</div>';
  }

  function requestBlock(body) {
    if (!body) return '';
    const b = deref(body);
    let h = `<div class="block request-body"><h4>Request body ${b.required ? '<span class="flag req">required</span>' : '<span class="muted">optional</span>'}</h4>`;
    if (b.description) h += `<div class="md">${md(b.description)}</div>`;
    for (const [type, m] of Object.entries(b.content || {})) h += mediaBlock(type, m, true);
    return h + '</div>';
  }

  function responsesBlock(responses) {
    const entries = Object.entries(responses || {});
    if (!entries.length) return '';
    let h = '<div class="block responses"><h4>Responses</h4>';
    for (const [status, raw] of entries) {
      const r = deref(raw) || {};
      const cls = /^[1-5]/.test(status) ? `status-${status[0]}xx` : 'status-default';
      const head = `<span class="status ${cls}">${esc(status)}</span> <span class="response-desc">${inline(r.description || '')}</span>`;
      let body = '';
      const headers = Object.entries(r.headers || {});
      if (headers.length) {
        body += '<div class="resp-headers"><div class="items-label">Headers</div><ul>' + headers.map(([n, x]) => {
          const hd = deref(x) || {};
          return `<li><code>${esc(n)}</code> <span class="type">${typeLabel(hd.schema)}</span>${hd.description ? ' — ' + inline(hd.description) : ''}</li>`;
        }).join('') + '</ul></div>';
      }
      for (const [type, m] of Object.entries(r.content || {})) body += mediaBlock(type, m, false);
      h += body
        ? `<details class="response" data-status="${esc(status)}"${status[0] === '2' ? ' open' : ''}><summary>${head}</summary><div class="response-body">${body}</div></details>`
        : `<div class="response" data-status="${esc(status)}"><div class="response-head">${head}</div></div>`;
    }
    return h + '</div>';
  }

  function serverBase() {
    const s = Array.isArray(DOC.servers) && DOC.servers[0] && DOC.servers[0].url;
    if (!s) return '';
    try { return new URL(s.replace(/\{[^}]*\}/g, 'x'), location.origin).pathname.replace(/\/+$/, ''); } catch (e) { return ''; }
  }

  const shq = (s) => "'" + String(s).replace(/'/g, "'\\''") + "'";
  function curlFor(method, path, params, op) {
    const base = serverBase();
    const full = base && !path.startsWith(base + '/') && path !== base ? base + path : path;
    const pick = (p) => (p.example !== undefined ? p.example : p.schema ? sample(p.schema) : undefined);
    let url = full.replace(/\{([^}]+)\}/g, (m, name) => {
      const p = params.find((x) => x.in === 'path' && x.name === name);
      const ex = p && p.example !== undefined ? p.example : p && p.schema && resolveFull(p.schema).example;
      return ex !== undefined && ex !== null ? encodeURIComponent(String(ex)) : `<${name}>`;
    });
    const query = params.filter((p) => p.in === 'query' && p.required)
      .map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(String(pick(p) ?? ''))}`);
    if (query.length) url += '?' + query.join('&');
    const lines = [`curl -X ${method.toUpperCase()} "${location.origin}${url}"`];
    const sec = op.security !== undefined ? op.security : DOC.security;
    const open = Array.isArray(sec) && (sec.length === 0 || sec.every((r) => isObj(r) && !Object.keys(r).length));
    if (!open) lines.push('-H "Authorization: Bearer $FLUENZR_API_KEY"');
    for (const p of params.filter((x) => x.in === 'header' && x.required)) lines.push('-H ' + shq(`${p.name}: ${pick(p) ?? ''}`));
    const body = deref(op.requestBody);
    if (isObj(body) && isObj(body.content)) {
      const types = Object.keys(body.content);
      const json = types.find((t) => /json/.test(t));
      if (json) {
        const m = body.content[json] || {};
        const ex = mediaExamples(m)[0];
        const v = ex && ex.value !== undefined ? ex.value : sample(m.schema);
        lines.push(`-H 'Content-Type: ${json}'`, '-d ' + shq(show(v)));
      } else if (types.length) {
        const ext = types[0].includes('csv') ? 'csv' : 'txt';
        lines.push(`-H 'Content-Type: ${types[0]}'`, `--data-binary @data.${ext}`);
      }
    }
    return lines.join(' \\\n  ');
  }

  function renderOperation(op) {
    const { method, path, o, pathItem, id } = op;
    const params = collectParams(pathItem, o);
    let h = `<section class="operation" id="${esc(id)}" data-method="${method}" data-path="${esc(path)}">`;
    h += `<h3 class="op-title"><span class="method method-${method}">${method.toUpperCase()}</span> <code class="path">${esc(path)}</code></h3>`;
    const badges = [];
    if (o.deprecated) badges.push('<span class="flag warn">deprecated</span>');
    if (o.operationId) badges.push(`<span class="op-id">${esc(o.operationId)}</span>`);
    if (badges.length) h += `<div class="op-badges">${badges.join(' ')}</div>`;
    if (o.summary) h += `<p class="summary">${inline(o.summary)}</p>`;
    if (o.description) h += `<div class="description md">${md(o.description)}</div>`;
    h += paramsTable(params);
    h += requestBlock(o.requestBody);
    h += responsesBlock(o.responses);
    h += `<div class="block curl"><div class="curl-head"><h4>Example request</h4><button type="button" class="copy">Copy</button></div><pre><code>${esc(curlFor(method, path, params, o))}</code></pre></div>`;
    return h + '</section>';
  }

  function collectOperations() {
    const ops = [];
    const used = new Set();
    for (const [path, rawItem] of Object.entries(DOC.paths || {})) {
      const pathItem = deref(rawItem) || {};
      for (const method of METHODS) {
        const o = pathItem[method];
        if (!isObj(o)) continue;
        let id = o.operationId ? String(o.operationId).replace(/\s+/g, '_') : slug(method + ' ' + path);
        const first = id;
        for (let n = 2; used.has(id) || byId(id); n++) id = `${first}-${n}`;
        used.add(id);
        const tag = Array.isArray(o.tags) && o.tags.length ? String(o.tags[0]) : 'Other';
        ops.push({ method, path, o, pathItem, id, tag });
      }
    }
    return ops;
  }

  function render() {
    const info = DOC.info || {};
    const title = info.title || 'FluenzR API';
    document.title = title + ' reference';
    byId('api-title').textContent = title;
    const ver = byId('api-version');
    if (info.version) { ver.textContent = 'v' + String(info.version).replace(/^v/, ''); ver.hidden = false; }
    const oas = byId('api-openapi');
    if (DOC.openapi) { oas.textContent = 'OpenAPI ' + DOC.openapi; oas.hidden = false; }
    byId('api-description').innerHTML = md(info.description || '');

    const ops = collectOperations();
    const tagMeta = new Map((DOC.tags || []).filter(isObj).map((t) => [String(t.name), t]));
    const groups = new Map();
    for (const name of tagMeta.keys()) groups.set(name, []);
    for (const op of ops) {
      if (!groups.has(op.tag)) groups.set(op.tag, []);
      groups.get(op.tag).push(op);
    }
    let html = '', toc = '';
    for (const [tag, list] of groups) {
      if (!list.length) continue;
      const tid = 'tag-' + slug(tag);
      const t = tagMeta.get(tag) || {};
      html += `<section class="tag-group" id="${esc(tid)}" data-tag="${esc(tag)}"><h2>${esc(tag)}</h2>`;
      if (t.description) html += `<div class="tag-desc md">${md(t.description)}</div>`;
      html += list.map(renderOperation).join('') + '</section>';
      toc += `<div class="toc-group" data-tag="${esc(tag)}"><a class="toc-tag" href="#${esc(tid)}">${esc(tag)}</a><ul>` +
        list.map((op) => `<li data-op="${esc(op.id)}"><a href="#${encodeURIComponent(op.id)}" title="${esc(op.o.summary || '')}"><span class="method method-${op.method}">${op.method.toUpperCase()}</span><span class="toc-path">${esc(op.path)}</span></a></li>`).join('') +
        '</ul></div>';
    }
    byId('operations').innerHTML = html;

    const schemas = isObj(DOC.components) && isObj(DOC.components.schemas) ? Object.keys(DOC.components.schemas) : [];
    if (schemas.length) {
      byId('schemas').innerHTML = '<section class="tag-group schemas" id="schemas-list"><h2>Schemas</h2>' + schemas.map((name) => {
        const ref = '#/components/schemas/' + name.replace(/~/g, '~0').replace(/\//g, '~1');
        return `<section class="schema-def" id="schema-${esc(slug(name))}" data-name="${esc(name)}"><h3>${esc(name)}</h3>${schemaBlock(pointer(ref), [ref])}</section>`;
      }).join('') + '</section>';
      toc += '<div class="toc-group toc-schemas"><a class="toc-tag" href="#schemas-list">Schemas</a><ul>' +
        schemas.map((n) => `<li data-schema="${esc(n)}"><a href="#schema-${esc(slug(n))}">${esc(n)}</a></li>`).join('') + '</ul></div>';
    }
    byId('toc').innerHTML = toc;

    for (const sec of document.querySelectorAll('section.operation, section.schema-def')) {
      const parts = [sec.closest('.tag-group').dataset.tag || '', sec.dataset.name || ''];
      for (const el of sec.querySelectorAll(':scope > h3, :scope > .op-badges, :scope > .summary, :scope > .description, :scope > .schema > .schema-desc')) parts.push(el.textContent);
      sec.dataset.search = parts.join(' ').replace(/\s+/g, ' ').toLowerCase();
    }
    byId('load-status').hidden = true;
    byId('filter-count').textContent = `${ops.length} operations`;
    if (location.hash.length > 1) {
      const el = byId(decodeURIComponent(location.hash.slice(1)));
      if (el) el.scrollIntoView();
    }
  }

  // ---------- Filter, copy, keyboard ----------
  function applyFilter() {
    const terms = byId('filter').value.toLowerCase().split(/\s+/).filter(Boolean);
    const active = terms.length > 0;
    let shown = 0, total = 0;
    for (const sec of document.querySelectorAll('section.operation, section.schema-def')) {
      const hit = terms.every((t) => sec.dataset.search.includes(t));
      sec.hidden = !hit;
      if (sec.classList.contains('operation')) { total++; if (hit) shown++; }
      const li = document.querySelector(sec.classList.contains('operation')
        ? `#toc li[data-op="${CSS.escape(sec.id)}"]` : `#toc li[data-schema="${CSS.escape(sec.dataset.name)}"]`);
      if (li) li.hidden = !hit;
    }
    for (const g of document.querySelectorAll('.tag-group')) g.hidden = !g.querySelector('section:not([hidden])');
    for (const g of document.querySelectorAll('.toc-group')) g.hidden = !g.querySelector('li:not([hidden])');
    byId('guides').hidden = active;
    byId('api-description').hidden = active;
    byId('no-results').hidden = !active || shown > 0;
    byId('filter-count').textContent = active ? `${shown} of ${total} operations` : `${total} operations`;
  }

  function copyText(text, btn) {
    const done = () => { btn.textContent = 'Copied'; setTimeout(() => { btn.textContent = 'Copy'; }, 1500); };
    const fallback = () => {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand('copy'); done(); } catch (e) { btn.textContent = 'Select and copy'; }
      ta.remove();
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  function showError(message) {
    const box = byId('load-status');
    box.hidden = false;
    box.className = 'load-status error';
    box.setAttribute('role', 'alert');
    box.innerHTML = `<strong>Could not load the API description.</strong> ${esc(message)}<br>` +
      `The reference is generated from <a href="${SPEC_URL}"><code>${SPEC_URL}</code></a>; check that the server is running and reachable, then reload this page. The general guides below still apply.`;
    byId('filter-count').textContent = '';
  }

  async function main() {
    byId('api-base').textContent = location.origin;
    byId('filter').addEventListener('input', applyFilter);
    document.addEventListener('keydown', (e) => {
      const f = byId('filter');
      if (e.key === '/' && document.activeElement !== f && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
        e.preventDefault();
        f.focus();
      } else if (e.key === 'Escape' && document.activeElement === f) {
        f.value = '';
        applyFilter();
      }
    });
    document.addEventListener('click', (e) => {
      const btn = e.target.closest('button.copy');
      if (btn) copyText(btn.closest('.curl').querySelector('pre').textContent, btn);
    });
    let doc;
    try {
      const res = await fetch(SPEC_URL, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
      if (!res.ok) throw new Error(`The server answered HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}.`);
      const text = await res.text();
      try { doc = JSON.parse(text); } catch (e) { throw new Error('The response is not valid JSON.'); }
      if (!isObj(doc) || !isObj(doc.paths)) throw new Error('The document has no "paths" object.');
    } catch (e) {
      showError(e instanceof TypeError ? 'The request failed (network error).' : e.message);
      return;
    }
    DOC = doc;
    try {
      render();
      if (byId('filter').value) applyFilter();
    } catch (e) {
      showError('Rendering failed: ' + e.message);
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
  else main();
})();

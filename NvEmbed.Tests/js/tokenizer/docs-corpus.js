// Builds the English documentation corpus as JSON lines {"text": "..."} on stdout, from the files of Debian
// packages unpacked under a folder (docs-corpus.sh fetches and unpacks them): Node.js's API reference
// (nodejs-doc, Markdown), Python's documentation sources (python3.11-doc, reStructuredText) and the fortune
// cookies of `fortunes`. One text per paragraph (per cookie); fenced and indented code blocks are left out.
// Deterministic: files in sorted order, nothing random.
//   node tokenizer/docs-corpus.js <unpacked-dir>
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = process.argv[2];
if (!root) {
  process.stderr.write('usage: node tokenizer/docs-corpus.js <unpacked-dir>\n');
  process.exit(2);
}

function files(dir, pattern) {
  const out = [];
  const visit = (d) => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (pattern.test(entry.name)) out.push(full);
    }
  };
  visit(dir);
  return out;
}

const read = (f) => (f.endsWith('.gz') ? zlib.gunzipSync(fs.readFileSync(f)) : fs.readFileSync(f)).toString('utf8');

// Paragraphs of prose: blank-line separated, without code blocks (``` fences, indented blocks) or tables.
function paragraphs(text) {
  const out = [];
  for (const block of text.replace(/```[\s\S]*?```/g, '').split(/\n[ \t]*\n/)) {
    if (/^( {4}|\t)/.test(block) || /^\s*[|+]/.test(block) || /^\s*\.\. /.test(block)) continue;
    const p = block.trim();
    if (p.length >= 40) out.push(p);
  }
  return out;
}

const texts = [];
const sources = {};
function add(name, list) {
  sources[name] = list.length;
  texts.push(...list);
}
add('nodejs-doc', files(path.join(root, 'usr/share/doc/nodejs/api'), /\.md(\.gz)?$/).flatMap((f) => paragraphs(read(f))));
add('python3.11-doc', files(path.join(root, 'usr/share/doc/python3.11/html/_sources'), /\.rst\.txt$/).flatMap((f) => paragraphs(read(f))));
add('fortunes', files(path.join(root, 'usr/share/games/fortunes'), /^[a-z-]+$/).flatMap((f) => read(f).split(/\n%\n/).map((c) => c.trim()).filter((c) => c.length > 0)));

process.stdout.write(texts.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
process.stderr.write(JSON.stringify({ count: texts.length, bytes: texts.reduce((s, t) => s + Buffer.byteLength(t), 0), sources }) + '\n');

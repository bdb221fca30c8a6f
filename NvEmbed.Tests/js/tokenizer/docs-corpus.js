// Builds documentation corpora as JSON lines {"text": "..."} on stdout, from the files of Debian packages unpacked
// under a folder (docs-corpus.sh fetches and unpacks them). Deterministic: files in sorted order, nothing random.
//   node tokenizer/docs-corpus.js <unpacked-dir> [english|translations]
// english:      Node.js's API reference (nodejs-doc, Markdown), Python's documentation sources (python3.11-doc,
//               reStructuredText) and the fortune cookies of `fortunes`; one text per paragraph (per cookie), fenced
//               and indented code blocks left out.
// translations: the Debian Reference in its nine translations (debian-reference-de/es/fr/id/it/ja/pt/zh-cn/zh-tw,
//               HTML): the text of each <p>, the languages interleaved paragraph by paragraph.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = process.argv[2];
const set = process.argv[3] || 'english';
if (!root || !['english', 'translations'].includes(set)) {
  process.stderr.write('usage: node tokenizer/docs-corpus.js <unpacked-dir> [english|translations]\n');
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
const entities = (t) => t.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
  .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0').replace(/&amp;/g, '&');

if (set === 'english') {
  add('nodejs-doc', files(path.join(root, 'usr/share/doc/nodejs/api'), /\.md(\.gz)?$/).flatMap((f) => paragraphs(read(f))));
  add('python3.11-doc', files(path.join(root, 'usr/share/doc/python3.11/html/_sources'), /\.rst\.txt$/).flatMap((f) => paragraphs(read(f))));
  add('fortunes', files(path.join(root, 'usr/share/games/fortunes'), /^[a-z-]+$/).flatMap((f) => read(f).split(/\n%\n/).map((c) => c.trim()).filter((c) => c.length > 0)));
} else {
  const languages = ['de', 'es', 'fr', 'id', 'it', 'ja', 'pt', 'zh-cn', 'zh-tw'];
  const byLanguage = languages.map((lang) => files(path.join(root, 'usr/share/debian-reference'), new RegExp(`\\.${lang}\\.html$`))
    .flatMap((f) => [...read(f).matchAll(/<p>([\s\S]*?)<\/p>/g)].map((m) => entities(m[1].replace(/<[^>]+>/g, '')).replace(/\s+/g, ' ').trim()))
    .filter((p) => p.length >= 20));
  languages.forEach((lang, i) => (sources['debian-reference-' + lang] = byLanguage[i].length));
  const longest = Math.max(...byLanguage.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const list of byLanguage) if (i < list.length) texts.push(list[i]);
}

process.stdout.write(texts.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
process.stderr.write(JSON.stringify({ count: texts.length, bytes: texts.reduce((s, t) => s + Buffer.byteLength(t), 0), sources }) + '\n');

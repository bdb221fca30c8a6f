// Times Hugging Face tokenizers (npm tokenizers@0.23.2) on one core over JSON lines {"text": "..."} on stdin.
//   RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false UV_THREADPOOL_SIZE=1 node tokenizer/bench.js --tokenizer t.json [--seconds 5]
// Prints {"passes", "texts", "tokens", "bytes", "seconds", "cpuSeconds"} for the timed passes (after one warm-up pass).
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const tokenizer = Tokenizer.fromFile(opt('--tokenizer'));
const seconds = Number(opt('--seconds', '5'));
const texts = fs.readFileSync(0, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t, 'utf8'), 0);
const batch = 1000;

async function pass() {
  let tokens = 0;
  for (let i = 0; i < texts.length; i += batch) {
    const encodings = await tokenizer.encodeBatch(texts.slice(i, i + batch), { addSpecialTokens: true });
    for (const e of encodings) tokens += e.getLength();
  }
  return tokens;
}

(async () => {
  await pass();
  let passes = 0;
  let tokens = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let elapsed = 0;
  while (passes === 0 || elapsed < seconds) {
    tokens += await pass();
    passes++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(JSON.stringify({ passes, texts: texts.length, tokens, bytes: bytes * passes, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
})();

// Load on the tokenizer service's gRPC Encode: batches of texts from a JSON lines corpus, a fixed number of calls in
// flight, for a fixed time. Prints one JSON object: calls, texts, tokens, tokens/s, call latency percentiles and the
// client's own CPU seconds (it shares the machine with the service).
//   node tokenizer/service-bench.js --address 127.0.0.1:PORT --corpus docs.jsonl [--batch 30] [--concurrency 8] [--seconds 20]
'use strict';
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const address = opt('--address');
const batch = Number(opt('--batch', '30'));
const concurrency = Number(opt('--concurrency', '8'));
const seconds = Number(opt('--seconds', '20'));
const texts = fs.readFileSync(opt('--corpus'), 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).text);

const definition = protoLoader.loadSync('tokenizer/v1/tokenizer.proto', {
  includeDirs: [path.join(__dirname, '..', '..', '..', 'NvEmbed.Contracts', 'Protos')], keepCase: false, longs: Number, enums: String, defaults: true,
});
const Tokenizer = grpc.loadPackageDefinition(definition).nvembed.tokenizer.v1.Tokenizer;
const client = new Tokenizer(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 });

let next = 0;
function nextBatch() {
  const out = [];
  for (let k = 0; k < batch; k++) out.push(texts[(next++) % texts.length]);
  return out;
}

function encode(request) {
  return new Promise((resolve, reject) => client.encode(request, (error, reply) => (error ? reject(error) : resolve(reply))));
}

(async () => {
  await encode({ texts: nextBatch(), truncation: 'TRUNCATION_END' });
  const latencies = [];
  let calls = 0;
  let tokens = 0;
  let sent = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  async function worker() {
    while (process.hrtime.bigint() < deadline) {
      const t0 = process.hrtime.bigint();
      const reply = await encode({ texts: nextBatch(), truncation: 'TRUNCATION_END' });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      calls++;
      sent += batch;
      tokens += reply.inputIds.length;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  process.stdout.write(JSON.stringify({
    batch, concurrency, calls, texts: sent, tokens, seconds: elapsed, tokensPerSecond: Math.round(tokens / elapsed),
    textsPerSecond: Math.round(sent / elapsed), latencyMs: { p50: pct(0.5), p90: pct(0.9), p99: pct(0.99) },
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  }) + '\n');
  client.close();
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});

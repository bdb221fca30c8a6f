// Latency of the internal gRPC hops on their own, one call at a time: the worker's Embed (one 16-token sequence) and
// the tokenizer's Encode (one short query), called with @grpc/grpc-js. Part of the per-hop breakdown: Embed's round
// trip minus the worker's own queue_ms + inference_ms is the gRPC hop plus the scheduler's hand-off.
// usage: NODE_PATH=NvEmbed.Tests/js/node_modules node bench/grpc-latency.js <worker host:port> <tokenizer host:port> [calls=500]
'use strict';
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const [worker, tokenizer, count = '500'] = process.argv.slice(2);
const root = path.join(__dirname, '..', 'NvEmbed.Contracts', 'Protos');
const load = file => grpc.loadPackageDefinition(loader.loadSync(file, { includeDirs: [root], keepCase: true, longs: Number, defaults: true }));
const { Inference } = load('inference/v1/inference.proto').nvembed.inference.v1;
const { Tokenizer } = load('tokenizer/v1/tokenizer.proto').nvembed.tokenizer.v1;
const inference = new Inference(worker, grpc.credentials.createInsecure());
const tokens = new Tokenizer(tokenizer, grpc.credentials.createInsecure());

const call = (client, method, request) => new Promise((resolve, reject) => {
  const started = process.hrtime.bigint();
  client[method](request, { deadline: new Date(Date.now() + 30000) }, (error, response) =>
    error ? reject(error) : resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, response }));
});
const quantile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

(async () => {
  const ids = i => [128000, ...Array.from({ length: 15 }, (_, k) => 1000 + ((i * 31 + k * 7) % 20000))];
  for (let i = 0; i < 100; i++) await call(inference, 'Embed', { input_ids: ids(i), cu_seq_lengths: [0, 16] });
  const embed = [];
  for (let i = 0; i < Number(count); i++) {
    const { ms, response } = await call(inference, 'Embed', { input_ids: ids(i + 100), cu_seq_lengths: [0, 16] });
    embed.push({ ms, worker: response.queue_ms + response.inference_ms });
  }
  const text = i => `query: what is the capital of country number ${i} and its population?`;
  for (let i = 0; i < 100; i++) await call(tokens, 'Encode', { texts: [text(i)], truncation: 'TRUNCATION_NONE' });
  const encode = [];
  for (let i = 0; i < Number(count); i++) encode.push((await call(tokens, 'Encode', { texts: [text(i + 100)], truncation: 'TRUNCATION_NONE' })).ms);
  console.log(JSON.stringify({
    embed_p50: +quantile(embed.map(e => e.ms), 0.5).toFixed(3),
    embed_worker_time_p50: +quantile(embed.map(e => e.worker), 0.5).toFixed(3),
    embed_hop_p50: +quantile(embed.map(e => e.ms - e.worker), 0.5).toFixed(3),
    encode_p50: +quantile(encode, 0.5).toFixed(3),
  }));
  inference.close();
  tokens.close();
})().catch(error => { console.error(error); process.exit(1); });

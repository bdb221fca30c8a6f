// Latency of single short NIM queries, one at a time (an idle stack), with the Api's per-stage timing headers, for the
// per-hop breakdown: run it against the gateway and straight against an Api replica and compare.
// usage: node bench/query-latency.mjs http://localhost:8000 [requests=500] [warm-up=100]
// Prints JSON: client p50/p99 (ms) and the medians of x-tokenization-time, x-queue-time, x-inference-time.
import http from 'node:http';

const [base, count = '500', warm = '100'] = process.argv.slice(2);
const url = new URL('/v1/embeddings', base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(i) {
  // A different 16-token query each time (BOS + "query: " + the text), so no cache helps.
  const body = JSON.stringify({
    input: [`what is the capital of country number ${i} and its population?`],
    model: 'nvidia/llama-3.2-nv-embedqa-1b-v2', input_type: 'query', encoding_format: 'base64',
  });
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, response => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 200) return reject(new Error(`status ${response.statusCode}`));
        const ms = name => Number(response.headers[name] ?? NaN);
        resolve({
          total: Number(process.hrtime.bigint() - started) / 1e6,
          tokenization: ms('x-tokenization-time'), queue: ms('x-queue-time'), inference: ms('x-inference-time'),
        });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

const quantile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
for (let i = 0; i < Number(warm); i++) await post(1_000_000 + i);
const samples = [];
for (let i = 0; i < Number(count); i++) samples.push(await post(i));
const pick = key => samples.map(s => s[key]);
console.log(JSON.stringify({
  url: url.href, requests: samples.length,
  p50: +quantile(pick('total'), 0.5).toFixed(2), p99: +quantile(pick('total'), 0.99).toFixed(2),
  tokenization_p50: quantile(pick('tokenization'), 0.5), queue_p50: quantile(pick('queue'), 0.5), inference_p50: quantile(pick('inference'), 0.5),
}));
agent.destroy();

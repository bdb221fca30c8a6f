// Latency of single short NIM queries, one at a time (an idle stack), with the Api's per-stage timing headers, for the
// per-hop breakdown. Given several base URLs (the gateway and an Api replica), it alternates between them request by
// request, so both see the same machine load, and reports each one's figures and the median of the paired differences
// (second URL minus first, ...).
// usage: node bench/query-latency.mjs http://localhost:8000 [http://localhost:<api port> ...] [--requests 500] [--warmup 100]
// Prints one JSON line per URL: client p50/p99 (ms) and the medians of the Api's Server-Timing stages (fractional ms):
// tokenize (the tokenizer call), worker (the worker call as the Api saw it), queue and inference (the worker's own),
// total (inside the Api); and the derived hops: api = total - tokenize - worker (parse, admission, encode),
// worker_hop = worker - queue - inference (gRPC both ways + the scheduler's hand-off), outside = client - total
// (the gateway when there is one, Kestrel and the client's own HTTP).
import http from 'node:http';

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i < 0 ? fallback : Number(args.splice(i, 2)[1]); };
const count = option('--requests', 500);
const warm = option('--warmup', 100);
const urls = args.map(base => new URL('/v1/embeddings', base));
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url, i) {
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
        if (response.statusCode !== 200) return reject(new Error(`${url.href}: status ${response.statusCode}`));
        const timing = Object.fromEntries(String(response.headers['server-timing'] ?? '').split(',')
          .map(metric => metric.trim().split(';dur=')).filter(parts => parts.length === 2).map(([name, dur]) => [name, Number(dur)]));
        const client = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({
          total: client, tokenize: timing.tokenize, worker: timing.worker, queue: timing.queue, inference: timing.inference,
          api: timing.total - timing.tokenize - timing.worker, worker_hop: timing.worker - timing.queue - timing.inference,
          outside: client - timing.total,
        });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

const quantile = (values, q) => { const s = [...values].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
for (let i = 0; i < warm; i++) for (const url of urls) await post(url, 1_000_000 + i);
const samples = urls.map(() => []);
for (let i = 0; i < count; i++) for (let u = 0; u < urls.length; u++) samples[u].push(await post(urls[u], i * urls.length + u));
urls.forEach((url, u) => {
  const pick = key => samples[u].map(s => s[key]);
  const line = {
    url: url.href, requests: count,
    p50: +quantile(pick('total'), 0.5).toFixed(2), p99: +quantile(pick('total'), 0.99).toFixed(2),
  };
  for (const key of ['tokenize', 'worker', 'queue', 'inference', 'api', 'worker_hop', 'outside']) line[`${key}_p50`] = +quantile(pick(key), 0.5).toFixed(3);
  if (u > 0) line[`paired_p50_minus_${urls[0].host}`] = +quantile(samples[u].map((s, i) => s.total - samples[0][i].total), 0.5).toFixed(2);
  console.log(JSON.stringify(line));
});
agent.destroy();

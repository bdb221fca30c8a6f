// Embeds texts with the npm `openai` client against an OpenAI-compatible base URL (NvEmbed's Api or gateway).
//
// usage: node clients/openai-embed.mjs <base-url>   (e.g. http://127.0.0.1:8000/v1)
// stdin: {"model": "...", "input": ["..."], "input_type": "query"|"passage"|null,
//         "encoding_format": "float"|"base64"|null, "dimensions": 384|null}
//   encoding_format null lets the client choose (it asks for base64 and decodes it itself).
//   input_type is sent as an extra body field, as NIM users do.
// stdout: {"model": "...", "usage": {...}, "vectors": [[...], ...]} (base64 answers decoded to floats here)
import OpenAI from 'openai';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node openai-embed.mjs <base-url>');
  process.exit(2);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'not-used', baseURL, maxRetries: 0, timeout: 30000 });
const body = { model: spec.model, input: spec.input };
if (spec.input_type) body.input_type = spec.input_type;
if (spec.encoding_format) body.encoding_format = spec.encoding_format;
if (spec.dimensions) body.dimensions = spec.dimensions;

const response = await client.embeddings.create(body);
const toFloats = (embedding) => {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  }
  return Array.from(embedding);
};
const vectors = response.data.sort((a, b) => a.index - b.index).map((d) => toFloats(d.embedding));
process.stdout.write(JSON.stringify({ model: response.model, usage: response.usage, vectors }));

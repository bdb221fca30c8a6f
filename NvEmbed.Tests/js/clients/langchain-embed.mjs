// Embeds texts with LangChain's OpenAIEmbeddings (npm `@langchain/openai`) against an OpenAI-compatible base URL.
//
// usage: node clients/langchain-embed.mjs <base-url>   (e.g. http://127.0.0.1:8000/v1)
// stdin: {"model": "...", "texts": ["..."], "mode": "documents"|"query", "input_type": "query"|"passage"|null,
//         "encoding_format": "float"|"base64"|null, "dimensions": 384|null}
//   OpenAIEmbeddings has no field for input_type: it is added to the JSON body by a fetch wrapper passed as
//   `configuration.fetch` (the usual way to send NIM's extra fields). Without it, a `-query`/`-passage` model
//   suffix does the same on NIM.
// stdout: {"vectors": [[...], ...]}
import { OpenAIEmbeddings } from '@langchain/openai';

const baseURL = process.argv[2];
if (!baseURL) {
  console.error('usage: node langchain-embed.mjs <base-url>');
  process.exit(2);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const withInputType = async (url, init) => {
  if (spec.input_type && init?.body && typeof init.body === 'string') {
    const body = JSON.parse(init.body);
    body.input_type = spec.input_type;
    init = { ...init, body: JSON.stringify(body) };
  }
  return fetch(url, init);
};

const embeddings = new OpenAIEmbeddings({
  model: spec.model,
  apiKey: process.env.OPENAI_API_KEY ?? 'not-used',
  maxRetries: 0,
  encodingFormat: spec.encoding_format ?? undefined,
  dimensions: spec.dimensions ?? undefined,
  configuration: { baseURL, fetch: withInputType },
});

const vectors = spec.mode === 'query'
  ? [await embeddings.embedQuery(spec.texts[0])]
  : await embeddings.embedDocuments(spec.texts);
const toFloats = (embedding) => {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  }
  return Array.from(embedding);
};
process.stdout.write(JSON.stringify({ vectors: vectors.map(toFloats) }));

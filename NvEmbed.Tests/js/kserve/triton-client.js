// A tritonclient-style KServe v2 client in @grpc/grpc-js: ModelConfig, then ModelInfer with the texts as a raw
// BYTES [n,1] tensor (4-byte little-endian length prefixes) and input_type as a request parameter.
// Usage: node triton-client.js <host:port> <protoRoot> <model> <inputType> <text>...
// Prints JSON: { maxBatchSize, embeddings: number[][], tokenCount: number[], shapes, missingInputType: {code, details} }.
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [hostPort, protoRoot, model, inputType, ...texts] = process.argv.slice(2);
const definition = protoLoader.loadSync('kserve/grpc_service.proto',
  { includeDirs: [protoRoot], keepCase: true, longs: Number, enums: String, defaults: true });
const { GRPCInferenceService } = grpc.loadPackageDefinition(definition).inference;
const client = new GRPCInferenceService(hostPort, grpc.credentials.createInsecure());
const deadline = () => new Date(Date.now() + 20000);

function call(method, request) {
  return new Promise(resolve => client[method](request, { deadline: deadline() },
    (error, response) => resolve(error ? { error: { code: error.code, details: error.details } } : { response })));
}

function serializeStrings(values) {
  return Buffer.concat(values.flatMap(v => {
    const bytes = Buffer.from(v, 'utf8');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(bytes.length, 0);
    return [prefix, bytes];
  }));
}

function inferRequest(parameters) {
  return {
    model_name: model,
    inputs: [{ name: 'text', datatype: 'BYTES', shape: [texts.length, 1] }],
    outputs: [{ name: 'embeddings' }, { name: 'token_count' }],
    parameters,
    raw_input_contents: [serializeStrings(texts)],
  };
}

(async () => {
  const config = await call('ModelConfig', { name: model });
  const infer = await call('ModelInfer', inferRequest({ input_type: { string_param: inputType } }));
  const missing = await call('ModelInfer', inferRequest({}));
  if (config.error || infer.error) {
    console.error(JSON.stringify({ config: config.error, infer: infer.error }));
    process.exit(1);
  }

  const outputs = infer.response.outputs;
  const raw = infer.response.raw_output_contents;
  const [rows, columns] = outputs[0].shape;
  const embeddings = [];
  for (let r = 0; r < rows; r++) {
    const row = [];
    for (let c = 0; c < columns; c++) row.push(raw[0].readFloatLE((r * columns + c) * 4));
    embeddings.push(row);
  }
  const tokenCount = [];
  for (let i = 0; i < outputs[1].shape[0]; i++) tokenCount.push(raw[1].readInt32LE(i * 4));
  console.log(JSON.stringify({
    maxBatchSize: config.response.config.max_batch_size,
    shapes: outputs.map(o => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    embeddings,
    tokenCount,
    missingInputType: missing.error ?? null,
  }));
  client.close();
})().catch(error => { console.error(error.stack); process.exit(1); });

// Loads the test Echo service and grpc.health.v1 from the repository's .proto files.
'use strict';
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function loadProtos(testProtoRoot, healthProtoRoot) {
  const definition = protoLoader.loadSync(
    ['test/v1/echo.proto', 'grpc/health/v1/health.proto'],
    { includeDirs: [testProtoRoot, healthProtoRoot], keepCase: false, longs: Number, enums: String, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition);
  return { Echo: loaded.nvembed.test.v1.Echo, Health: loaded.grpc.health.v1.Health };
}

// The same deterministic payload bytes the .NET tests compute: byte i = (i * 7 + seed) & 0xFF.
function payload(length, seed) {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

module.exports = { grpc, loadProtos, payload };

// @grpc/grpc-js as a client of an NvEmbed gRPC server serving the test Echo service and health.
// Usage: node grpc/echo-client.js <host:port> <test proto root> <health proto root> <bytes over the server's limit>
// Prints one JSON object with the outcome of each case.
'use strict';
const { grpc, loadProtos, payload } = require('./load-protos');

const [address, testProtoRoot, healthProtoRoot, tooLargeBytes] = process.argv.slice(2);
const { Echo, Health } = loadProtos(testProtoRoot, healthProtoRoot);
const credentials = grpc.credentials.createInsecure();
const echo = new Echo(address, credentials);
const health = new Health(address, credentials);

function call(client, method, request, options = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    client[method](request, options, (error, reply) => {
      const elapsedMs = Date.now() - started;
      if (error) resolve({ code: error.code, details: error.details, elapsedMs });
      else resolve({ code: 0, reply, elapsedMs });
    });
  });
}

function callThenCancel(client, request, afterMs) {
  return new Promise((resolve) => {
    const call = client.say(request, (error) => resolve(error ? { code: error.code, details: error.details } : { code: 0 }));
    setTimeout(() => call.cancel(), afterMs);
  });
}

function callRaw(path, requestBytes) {
  const client = new grpc.Client(address, credentials);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b) => b, (b) => b, requestBytes, (error) => {
      client.close();
      resolve(error ? { code: error.code, details: error.details } : { code: 0 });
    });
  });
}

async function main() {
  const results = {};
  const roundTrip = await call(echo, 'say', { text: 'hello from grpc-js', payload: payload(100000, 3) });
  results.roundTrip = {
    code: roundTrip.code,
    text: roundTrip.reply && roundTrip.reply.text,
    payloadMatches: !!roundTrip.reply && Buffer.compare(roundTrip.reply.payload, payload(100000, 3)) === 0,
    deadlineRemainingMs: roundTrip.reply && roundTrip.reply.deadlineRemainingMs,
  };
  const withDeadline = await call(echo, 'say', { text: 'deadline seen' }, { deadline: new Date(Date.now() + 10000) });
  results.deadlineSeen = { code: withDeadline.code, deadlineRemainingMs: withDeadline.reply && withDeadline.reply.deadlineRemainingMs };
  results.error = await call(echo, 'say', { text: 'résumé 東京 ✓ 100%', failStatus: grpc.status.INVALID_ARGUMENT });
  results.deadline = await call(echo, 'say', { text: 'too slow', delayMs: 30000 }, { deadline: new Date(Date.now() + 300) });
  results.cancel = await callThenCancel(echo, { text: 'cancelled by grpc-js', delayMs: 30000 }, 300);
  results.tooLarge = await call(echo, 'say', { text: 'big', payload: payload(Number(tooLargeBytes), 5) });
  const serving = await call(health, 'check', { service: '' });
  results.health = { code: serving.code, status: serving.reply && serving.reply.status };
  results.healthUnknown = await call(health, 'check', { service: 'no.such.Service' });
  results.unimplemented = await callRaw('/nvembed.test.v1.Echo/Missing', Buffer.alloc(0));
  echo.close();
  health.close();
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack || error) + '\n');
  process.exit(1);
});

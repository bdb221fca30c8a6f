// @grpc/grpc-js serving the test Echo service and grpc.health.v1 Check, for the NvEmbed client tests.
// Usage: node grpc/echo-server.js <test proto root> <health proto root> <max receive bytes>
// Prints "PORT <n>" once listening and "CANCELLED <text>" for each call cancelled by its client
// or its deadline; exits when its standard input closes.
'use strict';
const { grpc, loadProtos } = require('./load-protos');

const [testProtoRoot, healthProtoRoot, maxReceive] = process.argv.slice(2);
const { Echo, Health } = loadProtos(testProtoRoot, healthProtoRoot);
const server = new grpc.Server({ 'grpc.max_receive_message_length': Number(maxReceive) });

server.addService(Echo.service, {
  say(call, callback) {
    const request = call.request;
    const deadline = call.getDeadline();
    let answered = false;
    const reply = () => {
      answered = true;
      if (request.failStatus) {
        callback({ code: request.failStatus, details: request.text });
        return;
      }
      const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
      const remaining = Number.isFinite(at) ? at - Date.now() : -1;
      callback(null, { text: request.text, payload: request.payload, deadlineRemainingMs: remaining });
    };
    if (!request.delayMs) {
      reply();
      return;
    }
    const timer = setTimeout(reply, request.delayMs);
    // NOTE: grpc-js also emits 'cancelled' when the stream closes after a normal answer; only a call
    // cancelled before its answer counts.
    call.on('cancelled', () => {
      if (answered) return;
      clearTimeout(timer);
      process.stdout.write(`CANCELLED ${request.text}\n`);
    });
  },
});

server.addService(Health.service, {
  check(call, callback) {
    const service = call.request.service;
    if (service === '') callback(null, { status: 'SERVING' });
    else if (service === 'nvembed.test.v1.Echo') callback(null, { status: 'NOT_SERVING' });
    else callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
  },
});

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    process.stderr.write(String(error) + '\n');
    process.exit(1);
  }
  process.stdout.write(`PORT ${port}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => server.tryShutdown(() => process.exit(0)));
setTimeout(() => process.exit(2), 10 * 60 * 1000).unref(); // never outlive a broken test run

// A small HTTP server on Node's standard library: GET / answers with the
// message read from config/message.txt at request time.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const port = Number(process.env.PORT || 3000);
const messageFile = path.join(__dirname, 'config', 'message.txt');

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/') {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  fs.readFile(messageFile, 'utf8', (err, message) => {
    if (err) {
      console.error(`reading the message: ${err.message}`);
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('no message\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`node: ${message}`);
  });
});

// As PID 1 in a container a signal with no handler is ignored: docker stop
// sends SIGTERM and would otherwise wait for its timeout.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

server.listen(port, '0.0.0.0', () => {
  console.log(`listening on :${port}`);
});

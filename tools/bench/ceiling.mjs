// A ceiling for the read benchmark: serves, from memory, the bytes and headers the API answered, with nothing else.
// `node tools/bench/ceiling.mjs express|http <port> <answer.json>`; the answer file holds the body (base64), the 200's and
// the 304's headers and the entity tag (an If-None-Match naming it gets the 304, as from the API).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, port, answerFile] = process.argv.slice(2);
const answer = JSON.parse(readFileSync(answerFile, 'utf8'));
const body = Buffer.from(answer.body, 'base64');
const notModified = (req) => req.headers['if-none-match'] === answer.etag;

if (kind === 'express') {
  const app = express();
  // As in the API: no X-Powered-By, no entity tags invented by Express, the simple query parser.
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.get('/{*path}', (req, res) => {
    if (notModified(req)) {
      res.set(answer.notModifiedHeaders).status(304).end();
      return;
    }
    res.set(answer.headers).send(body);
  });
  app.listen(Number(port), '127.0.0.1');
} else if (kind === 'http') {
  createServer((req, res) => {
    if (notModified(req)) {
      res.writeHead(304, answer.notModifiedHeaders).end();
      return;
    }
    res.writeHead(200, { ...answer.headers, 'content-length': body.length }).end(body);
  }).listen(Number(port), '127.0.0.1');
} else {
  throw new Error(`ceiling: unknown kind ${kind} (express or http)`);
}

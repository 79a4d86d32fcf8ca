/**
 * The request body, read once and parsed as JSON when it says it is JSON, with a size cap; every refusal is
 * one line of ours. It replaces restify's bodyParser, which per request builds its buffer with the deprecated
 * `new Buffer(0)` (Node checks the caller's stack on each call: about 40 µs) and runs a chain of plugins for
 * what is a concatenation and a JSON.parse: together about 80 µs of a 3 ms turn, and parser wording in its
 * errors. Other content types are read and left unparsed (req.body undefined): the route says what it wants.
 */
import type { Next, Request, Response } from 'restify';

export interface JsonBodyOptions {
  maxBytes: number;
}

const hasNoBody = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

export function jsonBody(options: JsonBodyOptions) {
  return (req: Request, res: Response, next: Next): void => {
    if (hasNoBody.has(req.method ?? 'GET')) return next();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.maxBytes) return refuse(req, res, next, 413, 'The activity is too large.');
    const isJson = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    let settled = false;
    const settle = (answer: () => void) => {
      if (settled) return;
      settled = true;
      answer();
    };
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', () => settle(() => refuse(req, res, next, 400, 'The request could not be read.')));
    req.once('end', () => settle(() => {
      if (over) return refuse(req, res, next, 413, 'The activity is too large.');
      if (!isJson) return next();
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      try {
        (req as { body?: unknown }).body = text.length === 0 ? undefined : (JSON.parse(text) as unknown);
      } catch {
        return refuse(req, res, next, 400, 'The body is not valid JSON.');
      }
      return next();
    }));
  };
}

function refuse(req: Request, res: Response, next: Next, status: number, line: string): void {
  if (res.headersSent) return;
  // The rest of an oversized body is not worth reading: the connection closes after the answer.
  if (status === 413) res.header('Connection', 'close');
  res.send(status, line);
  req.resume();
  next(false);
}

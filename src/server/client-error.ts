// A request Node's HTTP parser refuses before the app sees it — malformed, headers too large, a
// client too slow to send it — is answered as Node would (then the connection is closed), but
// with an OpenAI-shaped body, like every other refusal.
import type { Socket } from 'node:net';
import { GatewayError } from '../core/errors.js';

function errorFor(code: string | undefined): GatewayError {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new GatewayError({ status: 408, code: 'request_timeout', message: 'the request was not received in time' });
  if (code === 'HPE_HEADER_OVERFLOW') return new GatewayError({ status: 431, code: 'request_too_large', message: 'the request headers are too large' });
  return new GatewayError({ status: 400, code: 'invalid_request_error', message: 'the request is not valid HTTP' });
}

const REASONS: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A response already under way on this socket (Node's own check) must not be corrupted: just close.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const e = errorFor(err.code);
  const body = JSON.stringify(e.body());
  socket.end(`HTTP/1.1 ${e.status} ${REASONS[e.status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
}

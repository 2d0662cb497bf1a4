/**
 * apiMessage: what an API error says in kubemend's messages. @kubernetes/client-node 1.x throws an
 * ApiException whose body is the response text (a metav1.Status as JSON, or plain text from a proxy).
 */
import test from 'ava';
import { apiMessage } from '../../lib/kube/api.js';

test('a Status body given as JSON text: its message, after the HTTP code', (t) => {
  const err = {
    code: 403,
    body: JSON.stringify({ kind: 'Status', message: 'nodes is forbidden: User "system:anonymous" cannot list resource "nodes"' }),
    message: 'HTTP-Code: 403',
  };
  t.is(apiMessage(err), 'HTTP 403: nodes is forbidden: User "system:anonymous" cannot list resource "nodes"');
});

test('a Status body already parsed: its message', (t) => {
  t.is(apiMessage({ code: 409, body: { message: 'pods "p" already exists' } }), 'HTTP 409: pods "p" already exists');
});

test("a plain-text body (a proxy's error page) or a Status without a message: the error's own message", (t) => {
  t.is(apiMessage({ code: 502, body: '<html>Bad Gateway</html>', message: 'HTTP-Code: 502' }), 'HTTP 502: HTTP-Code: 502');
  t.is(apiMessage({ code: 500, body: '{}', message: 'HTTP-Code: 500' }), 'HTTP 500: HTTP-Code: 500');
});

test('an error without a code (a TLS failure): the first line of its message', (t) => {
  t.is(apiMessage(new Error('request to https://10.0.0.1:6443/api failed\nreason: self-signed certificate')), 'request to https://10.0.0.1:6443/api failed');
});

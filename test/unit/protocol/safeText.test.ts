import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeText, SafeTextStream } from '../../../src/protocol/safeText';
import { redactSecrets } from '../../../src/protocol/secretRedaction';
import { serverMessage } from '../../../src/remote/remoteErrors';

describe('safeText', () => {
  const hostile: Array<[string, string]> = [
    ['\u001b]52;c;SGVsbG8=\u0007copied', 'copied'],
    ['\u001b]0;new title\u001b\\text', 'text'],
    ['\u001b[2J\u001b[31mred\u001b[0m', 'red'],
    ['\u009b31mC1 CSI', 'C1 CSI'],
    ['abc\u202edef\u2066x\u2069', 'abcdefx'],
    ['zero\u200bwidth\u2060join\ufeff', 'zerowidthjoin'],
    ['bell\u0007 back\u0008space\r', 'bell backspace'],
  ];
  for (const [raw, expected] of hostile) {
    it(`cleans ${JSON.stringify(raw)}`, () => assert.equal(safeText(raw), expected));
  }

  it('keeps newlines, tabs, joiners and direction marks that scripts need', () => {
    for (const text of ['line one\n\tline two', 'می\u200cخواهم', 'क्\u200dष', '👩\u200d💻', 'abc\u200fאבג\u200e']) assert.equal(safeText(text), text);
  });

  it('a streamed escape split across pieces never gets through', () => {
    const pieces = ['Hello \u001b', ']52;c;SGVs', 'bG8=\u0007 world', ' \u001b[3', '1mred'];
    const stream = new SafeTextStream();
    const shown = pieces.map((piece) => stream.push(piece)).join('') + stream.flush();
    assert.equal(shown, 'Hello  world red');
    assert.ok(!/[\u001b\u0007]/.test(shown));
  });
});

describe('redactSecrets', () => {
  it('hides known secrets and credential shapes before anything is cut', () => {
    const key = 'my-own-key-material';
    const text = redactSecrets(`key ${key}; Authorization: Bearer abc.def-123456; sk-proj-ABCDEFGH12345678; hf_AbCdEfGhIjKlMn; Basic dXNlcjpwYXNz`, [key]);
    assert.equal(text, 'key [key]; Authorization: Bearer [key]; [key]; [key]; Basic [key]');
  });

  it("hides the user name and password in a URL, as a proxy's is written", () => {
    assert.equal(redactSecrets('Proxy: http://me:s3cret@proxy.corp:3128 and https://tok@hub.example/x'), 'Proxy: http://[key]@proxy.corp:3128 and https://[key]@hub.example/x');
    assert.equal(redactSecrets('mail me@example.com, see https://example.com/a@b'), 'mail me@example.com, see https://example.com/a@b', 'an @ after the host is no credential');
  });
});

describe('SafeTextStream', () => {
  it('holds back nothing after a finished sequence, so the answer keeps streaming', () => {
    const stream = new SafeTextStream();
    assert.equal(stream.push('\u001b[31mred'), 'red');
    assert.equal(stream.push(' and more'), ' and more');
    assert.equal(stream.push(' \u001b]0;t\u0007title gone'), ' title gone');
  });

  it('an unfinished sequence longer than the hold limit is let go, cleaned', () => {
    const stream = new SafeTextStream();
    const shown = stream.push(`\u001b]52;c;${'A'.repeat(5000)}`) + stream.flush();
    assert.ok(!shown.includes('\u001b'));
  });
});

describe('serverMessage', () => {
  it('redacts a key that straddles the length cut, before cutting', () => {
    const key = 'sk-live-straddle-0123456789abcdef';
    const body = JSON.stringify({ error: { message: `${'x'.repeat(290)} ${key} tail` } });
    const shown = serverMessage(body, [key], 300);
    assert.ok(!shown.includes('sk-live') && !shown.includes('0123'), shown);
    assert.match(shown, /x \[key\] tai…$/);
  });
});

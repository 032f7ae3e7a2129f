import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackAddress, OutboundRefused, resolveOutbound, type Resolver } from '../../../src/network/outboundGate';

const answers = (table: Record<string, string[]>): Resolver => async (hostname) => {
  const addresses = table[hostname];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('outbound gate', () => {
  it('knows loopback addresses, and nothing else passes for one', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1', '::ffff:7f00:1']) assert.ok(isLoopbackAddress(address), address);
    for (const address of ['0.0.0.0', '192.168.1.5', '10.0.0.1', '::', '::ffff:10.0.0.1', '::ffff:a00:1', 'localhost', 'fe80::1']) assert.ok(!isLoopbackAddress(address), address);
  });

  it('counts a name as this machine only when every address it resolves to is loopback', async () => {
    const resolver = answers({
      localhost: ['127.0.0.1', '::1'],
      'api.localhost': ['10.20.30.40'],
      'mixed.localhost': ['127.0.0.1', '10.20.30.40'],
      'gpu.example.com': ['203.0.113.7'],
    });
    assert.equal((await resolveOutbound(new URL('http://localhost:8080/v1'), resolver)).loopback, true);
    assert.equal((await resolveOutbound(new URL('http://api.localhost:8080/v1'), resolver)).loopback, false);
    assert.equal((await resolveOutbound(new URL('http://mixed.localhost/v1'), resolver)).loopback, false);
    assert.equal((await resolveOutbound(new URL('https://gpu.example.com/v1'), resolver)).loopback, false);
    assert.equal((await resolveOutbound(new URL('http://127.0.0.1:1/v1'), resolver)).loopback, true);
    assert.equal((await resolveOutbound(new URL('http://[::1]:1/v1'), resolver)).loopback, true);
  });

  it('refuses a name that resolves to nothing, naming the host', async () => {
    await assert.rejects(resolveOutbound(new URL('https://nowhere.invalid/v1'), answers({})), (error: Error) => error instanceof OutboundRefused && /nowhere\.invalid/.test(error.message));
    await assert.rejects(resolveOutbound(new URL('https://empty.example/v1'), answers({ 'empty.example': [] })), OutboundRefused);
  });
});

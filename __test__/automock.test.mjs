// `vi.mock` of the whole package (vitest's automock), as AgentPane's unit
// tests do: every export is there and mockable, the native classes included.
// Only vitest has an automocker; under node and bun this file has no tests.
if (process.env.VITEST) {
  const { vi, describe, it, expect } = await import('vitest');
  describe('vi.mock of the whole package', () => {
    it('mocks every export, the native provider and instance classes included', async () => {
      vi.doMock('../index.js');
      try {
        const sdk = await import('../index.js');
        const real = await vi.importActual('../index.js');
        expect(Object.keys(sdk).sort()).toEqual(Object.keys(real).sort());
        const provider = new sdk.AgentSandboxProvider({ namespace: 'n' });
        expect(vi.isMockFunction(provider.create)).toBe(true);
        vi.mocked(provider.create).mockResolvedValue({ id: 'sb-1' });
        expect(await provider.create({ codespaceId: 'cs' })).toEqual({ id: 'sb-1' });
        const box = new sdk.AgentSandboxInstance('i', 'n', 'cs', 'ns', {});
        expect(vi.isMockFunction(box.exec)).toBe(true);
        expect(vi.isMockFunction(sdk.createAgentSandboxProvider)).toBe(true);
        const client = new sdk.AgentSandboxClient();
        expect(vi.isMockFunction(client.createSandbox)).toBe(true);
      } finally {
        vi.doUnmock('../index.js');
      }
    });
  });
}

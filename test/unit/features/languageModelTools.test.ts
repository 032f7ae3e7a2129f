/**
 * package.json's `languageModelTools` are what VS Code shows and validates before Loupe runs, and
 * the activation shell registers one implementation per entry; src/agentTools/toolCatalog.ts is
 * what the tools (and `loupe mcp`) take their names and schemas from. They must not drift apart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AGENT_TOOLS, AGENT_TOOL_NAMES, inputJsonSchema } from '../../../src/agentTools/toolCatalog';

interface ToolContribution {
  name: string;
  toolReferenceName: string;
  displayName: string;
  modelDescription: string;
  userDescription: string;
  canBeReferencedInPrompt: boolean;
  tags: string[];
  inputSchema: unknown;
}
interface Manifest {
  contributes: { languageModelTools: ToolContribution[]; languageModelToolSets?: unknown; mcpServerDefinitionProviders: { id: string; label: string }[] };
}
const { contributes } = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const tools = contributes.languageModelTools;

describe('package.json languageModelTools', () => {
  it('names exactly the catalog tools, in its order', () => {
    assert.deepEqual(
      tools.map((tool) => tool.name),
      AGENT_TOOL_NAMES,
    );
  });

  for (const name of AGENT_TOOL_NAMES) {
    it(`${name} says what the catalog says`, () => {
      const tool = tools.find((entry) => entry.name === name)!;
      const catalog = AGENT_TOOLS[name];
      assert.deepEqual(
        { toolReferenceName: tool.toolReferenceName, displayName: tool.displayName, modelDescription: tool.modelDescription },
        { toolReferenceName: catalog.referenceName, displayName: catalog.title, modelDescription: catalog.description },
      );
      // On a mismatch the message holds the schema to paste into package.json.
      assert.deepEqual(tool.inputSchema, inputJsonSchema(name), `package.json inputSchema of ${name} should be ${JSON.stringify(inputJsonSchema(name))}`);
    });
  }

  it('every tool can be referenced with #, and is described and tagged for users', () => {
    for (const tool of tools) {
      assert.equal(tool.canBeReferencedInPrompt, true, tool.name);
      assert.ok(tool.userDescription.length > 20, `${tool.name} has a userDescription`);
      assert.ok(tool.tags.length > 0 && tool.tags.every((tag) => !/^(copilot|vscode)_/.test(tag)), `${tool.name} tags`);
    }
  });

  it('declares no tool set: VS Code 1.139 accepts `languageModelToolSets` only with a proposed API', () => {
    assert.equal(contributes.languageModelToolSets, undefined);
  });
});

it("package.json's MCP server definition provider is the one src/extension.ts registers", () => {
  const id = /const MCP_PROVIDER_ID = '([^']+)'/.exec(readFileSync('src/extension.ts', 'utf8'))?.[1];
  assert.deepEqual(contributes.mcpServerDefinitionProviders, [{ id, label: 'Loupe' }]);
});

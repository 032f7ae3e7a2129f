import assert from 'node:assert/strict';
import { cp, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { embedChatTemplate, findChatTemplate } from '../../../src/modelFolder/chatTemplate';
import { isModelError } from '../../../src/modelFolder/modelErrors';
import { externalDataLocationProblem, validateModelFolder } from '../../../src/modelFolder/folderValidation';
import { embedPreprocessorConfig } from '../../../src/modelFolder/processorConfig';
import { tinyModelDir } from '../../support/paths';
import { suiteScratchDir } from '../../support/scratchDir';
import { embedTokensWithExternalTable } from './onnxWriter';

describe('model folder validation', () => {
  const scratch = suiteScratchDir('loupe-folder-');
  let count = 0;
  async function copy(): Promise<string> {
    const dir = join(scratch(), `m${++count}`);
    await cp(tinyModelDir, dir, { recursive: true });
    return dir;
  }
  async function problems(dir: string, options = {}): Promise<string> {
    const error = await validateModelFolder(dir, options).then(
      () => assert.fail('expected INVALID_MODEL'),
      (e: unknown) => e,
    );
    assert.ok(isModelError(error, 'INVALID_MODEL'), String(error));
    return error.message;
  }

  it('accepts the tiny LFM2-VL fixture and reports its graphs', async () => {
    const report = await validateModelFolder(tinyModelDir);
    assert.equal(report.architecture, 'lfm2-vl');
    assert.deepEqual(report.graphs.map((g) => `${g.graph}:${g.dtype}:${g.file}`), [
      'vision_encoder:fp32:onnx/vision_encoder.onnx',
      'embed_tokens:fp32:onnx/embed_tokens.onnx',
      'decoder_model_merged:fp32:onnx/decoder_model_merged.onnx',
    ]);
  });

  it('says which files are missing and where graphs should be', async () => {
    const dir = await copy();
    await unlink(join(dir, 'tokenizer.json'));
    await cp(join(dir, 'onnx/vision_encoder.onnx'), join(dir, 'vision_encoder.onnx'));
    await unlink(join(dir, 'onnx/vision_encoder.onnx'));
    const message = await problems(dir);
    assert.match(message, /tokenizer\.json: missing/);
    assert.match(message, /onnx\/: no vision_encoder graph that Loupe can load \(looked for onnx\/vision_encoder\*\.onnx\); ONNX files present: .*vision_encoder\.onnx \(transformers\.js expects graphs in an onnx\/ subfolder\)/);
  });

  it('refuses a folder of another architecture', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'idefics3', text_config: { num_hidden_layers: 2 } }));
    assert.match(await problems(dir, { architecture: 'lfm2-vl' }), /config\.json: model_type "idefics3" is smolvlm, but this model is lfm2-vl/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    assert.match(await problems(dir), /model_type "bert" is not a supported architecture \(lfm2_vl, idefics3, smolvlm\)/);
  });

  it('needs a chat template where transformers.js reads it or a processor template to move there', async () => {
    const dir = await copy();
    const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const template = config.chat_template as string;
    delete config.chat_template;
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    assert.match(await problems(dir), /tokenizer_config\.json: no chat_template, and no chat_template\.jinja or chat_template\.json either/);
    await writeFile(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: template }));
    assert.deepEqual(await findChatTemplate(dir), { source: 'chat_template.json', template });
    await writeFile(join(dir, 'chat_template.jinja'), `${template}\n`);
    assert.equal((await findChatTemplate(dir))?.source, 'chat_template.jinja', 'the .jinja file wins, as upstream');
    await validateModelFolder(dir);
    assert.equal(await embedChatTemplate(dir), true);
    assert.equal((JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template, `${template}\n`);
    assert.equal(await embedChatTemplate(dir), false, 'nothing to write the second time');
  });

  it("accepts an inline graph although config.json's flag asks for external data (the real fp32 embed_tokens)", async () => {
    const dir = await copy();
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { 'transformers.js_config': { use_external_data_format: Record<string, boolean> } };
    assert.equal(config['transformers.js_config'].use_external_data_format.embed_tokens, true, 'the fixture carries the real flag');
    const report = await validateModelFolder(dir);
    assert.deepEqual(report.graphs.find((g) => g.graph === 'embed_tokens')?.externalData, [], 'embed_tokens.onnx is inline');
    assert.deepEqual(report.graphs.find((g) => g.graph === 'decoder_model_merged')?.externalData, ['onnx/decoder_model_merged.onnx_data']);
  });

  it('takes the image processor from processor_config.json when preprocessor_config.json is missing', async () => {
    const dir = await copy();
    await unlink(join(dir, 'preprocessor_config.json'));
    await validateModelFolder(dir);
    assert.equal(await embedPreprocessorConfig(dir), true);
    const written = JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(written.image_processor_type, 'Lfm2VlImageProcessorFast');
    assert.equal(written.processor_class, 'Lfm2VlProcessor');
    assert.equal(await embedPreprocessorConfig(dir), false, 'an existing file is kept');
    await unlink(join(dir, 'preprocessor_config.json'));
    await writeFile(join(dir, 'processor_config.json'), JSON.stringify({ processor_class: 'Lfm2VlProcessor' }));
    assert.match(await problems(dir), /preprocessor_config\.json: missing/);
  });

  it('classifies external-data locations', () => {
    assert.equal(externalDataLocationProblem('decoder_model_merged_q4.onnx_data'), undefined);
    assert.equal(externalDataLocationProblem('weights/part_1.bin'), undefined);
    assert.match(externalDataLocationProblem('../x.bin') ?? '', /"\.\."/);
    assert.match(externalDataLocationProblem('a/../../x.bin') ?? '', /"\.\."/);
    assert.match(externalDataLocationProblem('..\\x.bin') ?? '', /"\.\."/);
    assert.match(externalDataLocationProblem('/etc/passwd') ?? '', /absolute/);
    assert.match(externalDataLocationProblem('C:\\Windows\\x.bin') ?? '', /absolute/);
    assert.match(externalDataLocationProblem('\\\\server\\share\\x.bin') ?? '', /absolute/);
    assert.match(externalDataLocationProblem('') ?? '', /empty/);
  });

  it('refuses a symlink that leads out of the folder and a tensor past the end of its data', async () => {
    const dir = await copy();
    const { graph, data } = embedTokensWithExternalTable('embed_tokens.onnx_data');
    await writeFile(join(dir, 'onnx/embed_tokens.onnx'), graph);
    await writeFile(join(scratch(), 'outside.bin'), data);
    await symlink(join(scratch(), 'outside.bin'), join(dir, 'onnx/embed_tokens.onnx_data'));
    assert.match(await problems(dir), /external data "embed_tokens\.onnx_data" resolves outside the model folder/);

    await unlink(join(dir, 'onnx/embed_tokens.onnx_data'));
    await writeFile(join(dir, 'onnx/embed_tokens.onnx_data'), data.subarray(0, 64));
    assert.match(await problems(dir), /tensor "embed_weight" reads bytes 0\.\.128 of "embed_tokens\.onnx_data", which has only 64 bytes/);

    await unlink(join(dir, 'onnx/embed_tokens.onnx_data'));
    assert.match(await problems(dir), /external data file "embed_tokens\.onnx_data" is missing/);
  });
});

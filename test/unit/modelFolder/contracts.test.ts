import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LFM2_5_VL_450M_LAYER_TYPES, checkGraphIo, lfm2VlDecoderIo, smolvlmDecoderIo, textModelFacts } from '../../../src/modelFolder/contracts';
import { architectureForModelType } from '../../../src/modelFolder/modelLayout';

const decoder450m = lfm2VlDecoderIo(LFM2_5_VL_450M_LAYER_TYPES);

describe('architecture contracts', () => {
  it('mirrors the LFM2.5-VL-450M decoder: 10 conv states, 6 key/value caches', () => {
    assert.equal(decoder450m.inputs.length, 24);
    assert.equal(decoder450m.outputs.length, 23);
    assert.deepEqual(decoder450m.inputs.slice(0, 6), ['inputs_embeds', 'attention_mask', 'past_conv.0', 'past_conv.1', 'past_key_values.2.key', 'past_key_values.2.value']);
    assert.deepEqual(decoder450m.outputs.slice(-3), ['present.14.key', 'present.14.value', 'present_conv.15']);
    const conv = decoder450m.inputs.filter((n) => n.startsWith('past_conv.')).map((n) => Number(n.split('.')[1]));
    assert.deepEqual(conv, [0, 1, 3, 4, 6, 7, 9, 11, 13, 15]);
  });

  it('accepts the exact graphs and names what is wrong otherwise', () => {
    const vision = { inputs: ['pixel_values', 'pixel_attention_mask', 'spatial_shapes'], outputs: ['image_features'] };
    assert.deepEqual(checkGraphIo('lfm2-vl', 'vision_encoder', vision), []);
    assert.deepEqual(checkGraphIo('lfm2-vl', 'vision_encoder', { ...vision, inputs: ['pixel_values', 'pixel_mask', 'spatial_shapes'] }), [
      'input "pixel_attention_mask" is missing (the graph has "pixel_mask" instead)',
      'unexpected input "pixel_mask"',
    ]);
    assert.deepEqual(checkGraphIo('lfm2-vl', 'embed_tokens', { inputs: ['input_ids'], outputs: ['embeddings'] }), ['output "inputs_embeds" is missing (the graph has "embeddings" instead)', 'unexpected output "embeddings"']);
    const facts = { layerTypes: [...LFM2_5_VL_450M_LAYER_TYPES] };
    assert.deepEqual(checkGraphIo('lfm2-vl', 'decoder_model_merged', decoder450m, facts), []);
    assert.deepEqual(checkGraphIo('lfm2-vl', 'decoder_model_merged', { ...decoder450m, inputs: [...decoder450m.inputs, 'position_ids'] }, facts), [], 'position_ids is optional');
    const renamed = { ...decoder450m, inputs: decoder450m.inputs.map((n) => (n === 'past_conv.3' ? 'past_conv_3' : n)) };
    assert.deepEqual(checkGraphIo('lfm2-vl', 'decoder_model_merged', renamed, facts), ['input "past_conv.3" is missing (the graph has "past_conv_3" instead)', 'unexpected input "past_conv_3"']);
  });

  it('checks the cache layout when config.json does not pin it', () => {
    assert.deepEqual(checkGraphIo('lfm2-vl', 'decoder_model_merged', decoder450m), []);
    const noValue = { inputs: decoder450m.inputs.filter((n) => n !== 'past_key_values.5.value'), outputs: decoder450m.outputs };
    assert.ok(checkGraphIo('lfm2-vl', 'decoder_model_merged', noValue).some((p) => p.includes('layer 5 has only the key cache input')));
    const noPresent = { inputs: decoder450m.inputs, outputs: decoder450m.outputs.filter((n) => n !== 'present_conv.9') };
    assert.ok(checkGraphIo('lfm2-vl', 'decoder_model_merged', noPresent).some((p) => p.includes('cache output for layer 9 does not match')));
    assert.ok(checkGraphIo('smolvlm', 'decoder_model_merged', decoder450m).some((p) => p.includes('unexpected input "past_conv.0"')), 'SmolVLM has no conv layers');
  });

  it('derives SmolVLM decoder names from the layer count', () => {
    const io = smolvlmDecoderIo(30);
    assert.equal(io.inputs.length, 2 + 60);
    assert.deepEqual(checkGraphIo('smolvlm', 'decoder_model_merged', { ...io, inputs: [...io.inputs, 'position_ids'] }, { numHiddenLayers: 30 }), []);
    assert.deepEqual(checkGraphIo('smolvlm', 'vision_encoder', { inputs: ['pixel_values', 'pixel_attention_mask'], outputs: ['image_features'] }), []);
  });

  it('reads architecture and layout facts from config.json', () => {
    assert.equal(architectureForModelType('lfm2_vl'), 'lfm2-vl');
    assert.equal(architectureForModelType('idefics3'), 'smolvlm');
    assert.equal(architectureForModelType('llama'), undefined);
    assert.deepEqual(textModelFacts({ text_config: { layer_types: ['conv', 'full_attention'], num_hidden_layers: 2 } }), { layerTypes: ['conv', 'full_attention'], numHiddenLayers: 2 });
    assert.deepEqual(textModelFacts({ text_config: { layer_types: ['conv', 'mamba'] } }), {});
    assert.deepEqual(textModelFacts(undefined), {});
  });
});

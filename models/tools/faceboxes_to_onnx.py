#!/usr/bin/python3
"""Converts the FaceBoxes TF.js graph model (models/faceboxes.json + .bin) to ONNX (models/faceboxes.onnx).

Only the network is converted: from the 0-255 RGB image (already padded to a multiple of 128, NCHW) to the raw
per-anchor class logits and box encodings. Anchor generation, box decoding and non-maximum suppression stay in
TypeScript (src/vision/faces/faceboxes-onnx-model.ts), where they cost microseconds instead of the TF.js
control-flow graph's tens of milliseconds. The weights are the TF.js file's own (float16-stored, widened to
float32), so the converted model computes the same function.

Needs Debian's python3-onnx and python3-numpy (apt-get install python3-onnx):  /usr/bin/python3 models/tools/faceboxes_to_onnx.py
"""
import base64
import json
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = pathlib.Path(__file__).resolve().parent.parent
SOURCE_JSON = MODELS / 'faceboxes.json'
TARGET = MODELS / 'faceboxes.onnx'
INPUT_NODE = 'standardize_input/sub'
LEVELS = ['0', '1', '2']
DTYPES = {'float32': np.float32, 'int32': np.int32, 'float16': np.float16}


def load_weights(graph):
    shards = b''.join((MODELS / path).read_bytes() for group in graph['weightsManifest'] for path in group['paths'])
    weights, offset = {}, 0
    for group in graph['weightsManifest']:
        for spec in group['weights']:
            quantization = spec.get('quantization')
            stored = DTYPES[quantization['dtype'] if quantization else spec['dtype']]
            count = int(np.prod(spec['shape'])) if spec['shape'] else 1
            values = np.frombuffer(shards, stored, count, offset)
            offset += count * np.dtype(stored).itemsize
            weights[spec['name']] = values.astype(np.float32 if stored == np.float16 else stored).reshape(spec['shape'])
    if offset != len(shards):
        sys.exit(f'weights manifest covers {offset} bytes, shards hold {len(shards)}')
    return weights


def attr(node, key):
    value = node.get('attr', {}).get(key, {})
    if 's' in value:
        return base64.b64decode(value['s']).decode()
    if 'list' in value:
        items = value['list']
        return [base64.b64decode(s).decode() for s in items.get('s', [])] or [int(i) for i in items.get('i', [])]
    return None


class Converter:
    def __init__(self, graph, weights):
        self.nodes = {node['name']: node for node in graph['modelTopology']['node']}
        self.weights = weights
        self.onnx_nodes, self.initializers, self.done = [], [], {}

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def emit(self, op, inputs, output, **attrs):
        self.onnx_nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def value(self, ref):
        """ONNX name of a TF node output, converting the node first (NHWC in TF, NCHW here)."""
        name = ref.split(':')[0]
        if name not in self.done:
            self.done[name] = self.convert(self.nodes[name])
        return self.done[name]

    def convert(self, node):
        op, name, inputs = node['op'], node['name'], node.get('input', [])
        if name == INPUT_NODE:
            scaled = self.emit('Mul', ['image', self.const('scale', np.float32(self.weights['mul/y'] * 2))], 'scaled')
            return self.emit('Sub', [scaled, self.const('offset', np.float32(1))], 'standardized')
        if op == '_FusedConv2D':
            return self.conv(node)
        if op == 'MaxPool':
            kernel, strides = attr(node, 'ksize')[1:3], attr(node, 'strides')[1:3]
            return self.emit('MaxPool', [self.value(inputs[0])], name, kernel_shape=kernel, strides=strides, auto_pad='SAME_UPPER')
        if op == 'ConcatV2':
            axis = int(self.weights[inputs[-1]])
            if axis not in (3, -1):
                sys.exit(f'{name}: concat on axis {axis} is not a channel concat')
            return self.emit('Concat', [self.value(i) for i in inputs[:-1]], name, axis=1)
        if op in ('Neg', 'Relu'):
            return self.emit(op, [self.value(inputs[0])], name)
        sys.exit(f'{name}: op {op} is not supported by this converter')

    def conv(self, node):
        name, inputs = node['name'], node['input']
        fused = attr(node, 'fused_ops')
        if attr(node, 'padding') != 'SAME' or fused not in (['BiasAdd'], ['BiasAdd', 'Relu']):
            sys.exit(f'{name}: unsupported conv ({attr(node, "padding")}, {fused})')
        kernel = self.weights[inputs[1]].transpose(3, 2, 0, 1)
        strides = attr(node, 'strides')[1:3]
        out = name if fused == ['BiasAdd'] else name + '/conv'
        self.emit('Conv', [self.value(inputs[0]), self.const(inputs[1], kernel), self.const(inputs[2], self.weights[inputs[2]])], out,
                  kernel_shape=list(kernel.shape[2:]), strides=strides, auto_pad='SAME_UPPER')
        return out if fused == ['BiasAdd'] else self.emit('Relu', [out], name)

    def head(self, kind, width, output):
        """Predictions of every level as [1, anchors, width], in TF's NHWC flattening order."""
        flat = []
        for level in LEVELS:
            raw = self.value(f'prediction_layers/{kind}_{level}/BiasAdd')
            nhwc = self.emit('Transpose', [raw], f'{kind}_{level}/nhwc', perm=[0, 2, 3, 1])
            flat.append(self.emit('Reshape', [nhwc, self.const(f'{kind}_{level}/shape', np.array([1, -1, width], np.int64))], f'{kind}_{level}/flat'))
        return self.emit('Concat', flat, output, axis=1)


def main():
    graph = json.loads(SOURCE_JSON.read_text())
    converter = Converter(graph, load_weights(graph))
    logits = converter.head('class_predictor', 2, 'logits')
    boxes = converter.head('box_encoding_predictor', 4, 'boxes')
    converter.emit('Softmax', [logits], 'scores', axis=2)
    onnx_graph = helper.make_graph(
        converter.onnx_nodes, 'faceboxes',
        [helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 3, 'height', 'width'])],
        [helper.make_tensor_value_info('scores', TensorProto.FLOAT, [1, 'anchors', 2]),
         helper.make_tensor_value_info(boxes, TensorProto.FLOAT, [1, 'anchors', 4])],
        converter.initializers)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='privacy-gateway faceboxes_to_onnx.py')
    model.ir_version = 7
    onnx.checker.check_model(model)
    TARGET.write_bytes(model.SerializeToString())
    print(f'wrote {TARGET} ({TARGET.stat().st_size} bytes, {len(converter.onnx_nodes)} nodes)')


if __name__ == '__main__':
    main()

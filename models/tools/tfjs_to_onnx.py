"""Converts the network part of a TF.js graph model to ONNX (NHWC in TF.js, NCHW in ONNX), with its own weights.

Shared by the per-model scripts in this folder. Only the operations these models use are supported; anything
else stops the conversion with the node's name, so a converted file never silently differs from its source.
Needs Debian's python3-onnx and python3-numpy (apt-get install python3-onnx).
"""
import base64
import json
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS = pathlib.Path(__file__).resolve().parent.parent
DTYPES = {'float32': np.float32, 'int32': np.int32, 'float16': np.float16}


def load_graph(json_name):
    """The TF.js graph JSON and its weights (float16-stored weights widened to float32)."""
    graph = json.loads((MODELS / json_name).read_text())
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
    return graph, weights


def attr(node, key):
    value = node.get('attr', {}).get(key, {})
    if 's' in value:
        return base64.b64decode(value['s']).decode()
    if 'list' in value:
        items = value['list']
        return [base64.b64decode(s).decode() for s in items.get('s', [])] or [int(i) for i in items.get('i', [])]
    if 'b' in value:
        return value['b']
    return None


ACTIVATIONS = {'Relu': ('Relu', {}), 'Relu6': ('Clip', {})}


class Converter:
    """Converts TF nodes on demand, following inputs back to `inputs` (TF node name → ONNX value name)."""

    def __init__(self, graph, weights, inputs):
        self.nodes = {node['name']: node for node in graph['modelTopology']['node']}
        self.weights = weights
        self.onnx_nodes, self.initializers = [], []
        self.done = dict(inputs)

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def emit(self, op, inputs, output, **attrs):
        self.onnx_nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def value(self, ref):
        """ONNX name of a TF node output, converting the node first."""
        name = ref.split(':')[0]
        if name not in self.done:
            self.done[name] = self.convert(self.nodes[name])
        return self.done[name]

    def activation(self, kind, source, name):
        if kind == 'Relu6':
            return self.emit('Clip', [source, self.const(name + '/min', np.float32(0)), self.const(name + '/max', np.float32(6))], name)
        return self.emit(kind, [source], name)

    def operand(self, ref, name):
        """A TF input as an ONNX operand: constants become initializers, per-channel vectors broadcast over NCHW."""
        base = ref.split(':')[0]
        if base in self.weights:
            array = np.asarray(self.weights[base], np.float32)
            return self.const(f'{name}/{base}', array.reshape(-1, 1, 1) if array.ndim == 1 else array)
        return self.value(ref)

    def convert(self, node):
        op, name, inputs = node['op'], node['name'], node.get('input', [])
        if op in ('_FusedConv2D', 'Conv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative'):
            return self.conv(node)
        if op == 'MaxPool':
            kernel, strides = attr(node, 'ksize')[1:3], attr(node, 'strides')[1:3]
            return self.emit('MaxPool', [self.value(inputs[0])], name, kernel_shape=kernel, strides=strides, auto_pad=self.pad(node))
        if op == 'ConcatV2':
            if int(self.weights[inputs[-1]]) not in (3, -1):
                sys.exit(f'{name}: concat is not on the channel axis')
            return self.emit('Concat', [self.value(i) for i in inputs[:-1]], name, axis=1)
        if op in ('Neg', 'Relu', 'Sigmoid', 'Identity'):
            return self.emit(op, [self.value(inputs[0])], name)
        if op == 'Relu6':
            return self.activation('Relu6', self.value(inputs[0]), name)
        if op in ('Mul', 'Add', 'AddV2', 'Sub'):
            onnx_op = {'Mul': 'Mul', 'Add': 'Add', 'AddV2': 'Add', 'Sub': 'Sub'}[op]
            return self.emit(onnx_op, [self.operand(inputs[0], name), self.operand(inputs[1], name)], name)
        if op == 'Mean':
            if list(np.atleast_1d(self.weights[inputs[1]])) != [1, 2] or not attr(node, 'keep_dims'):
                sys.exit(f'{name}: only a spatial mean with keep_dims is supported')
            return self.emit('ReduceMean', [self.value(inputs[0])], name, axes=[2, 3], keepdims=1)
        if op == 'ResizeBilinear':
            if attr(node, 'align_corners') or attr(node, 'half_pixel_centers'):
                sys.exit(f'{name}: only asymmetric bilinear resizing is supported')
            scales = self.const(name + '/scales', np.array([1, 1, 2, 2], np.float32))
            return self.emit('Resize', [self.value(inputs[0]), '', scales], name, mode='linear', coordinate_transformation_mode='asymmetric')
        sys.exit(f'{name}: op {op} is not supported by this converter')

    @staticmethod
    def pad(node):
        padding = attr(node, 'padding')
        if padding not in ('SAME', 'VALID'):
            sys.exit(f'{node["name"]}: padding {padding} is not supported')
        return 'SAME_UPPER' if padding == 'SAME' else 'VALID'

    def conv(self, node):
        op, name, inputs = node['op'], node['name'], node['input']
        fused = attr(node, 'fused_ops') or []
        if fused[:1] not in ([], ['BiasAdd']) or len(fused) > 2 or (len(fused) == 2 and fused[1] not in ACTIVATIONS):
            sys.exit(f'{name}: unsupported fused ops {fused}')
        if attr(node, 'dilations') not in (None, [1, 1, 1, 1]):
            sys.exit(f'{name}: dilated convolutions are not supported')
        weights = self.weights[inputs[1]]
        depthwise = 'Depthwise' in op
        # TF: HWIO (depthwise HW·C·multiplier); ONNX: OIHW (depthwise O = C·multiplier, I = 1, group = C).
        kernel = weights.reshape(weights.shape[0], weights.shape[1], 1, -1).transpose(3, 2, 0, 1) if depthwise else weights.transpose(3, 2, 0, 1)
        operands = [self.value(inputs[0]), self.const(inputs[1] + '/oihw', kernel)]
        if fused:
            operands.append(self.const(inputs[2], self.weights[inputs[2]]))
        extra = {'group': int(weights.shape[2])} if depthwise else {}
        out = name if len(fused) < 2 else name + '/conv'
        self.emit('Conv', operands, out, kernel_shape=list(kernel.shape[2:]), strides=attr(node, 'strides')[1:3], auto_pad=self.pad(node), **extra)
        return out if len(fused) < 2 else self.activation(fused[1], out, name)

    def save(self, graph_name, inputs, outputs, target):
        graph = helper.make_graph(self.onnx_nodes, graph_name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name=f'privacy-gateway models/tools ({graph_name})')
        model.ir_version = 7
        onnx.checker.check_model(model)
        path = MODELS / target
        path.write_bytes(model.SerializeToString())
        print(f'wrote {path} ({path.stat().st_size} bytes, {len(self.onnx_nodes)} nodes)')


def tensor(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)

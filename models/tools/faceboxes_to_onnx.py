#!/usr/bin/python3
"""Converts the FaceBoxes TF.js graph model (models/faceboxes.json + .bin) to ONNX (models/faceboxes.onnx).

Only the network is converted: from the 0-255 RGB image (already padded to a multiple of 128, NCHW) to the raw
per-anchor class scores and box encodings. Anchor generation, box decoding and non-maximum suppression stay in
TypeScript (src/vision/faces/faceboxes-onnx-model.ts), where they cost microseconds instead of the TF.js
control-flow graph's tens of milliseconds.

    /usr/bin/python3 models/tools/faceboxes_to_onnx.py
"""
import numpy as np

from tfjs_to_onnx import Converter, load_graph, tensor

LEVELS = ['0', '1', '2']


def head(converter, kind, width, output):
    """Predictions of every level as [1, anchors, width], in TF's NHWC flattening order."""
    flat = []
    for level in LEVELS:
        raw = converter.value(f'prediction_layers/{kind}_{level}/BiasAdd')
        nhwc = converter.emit('Transpose', [raw], f'{kind}_{level}/nhwc', perm=[0, 2, 3, 1])
        shape = converter.const(f'{kind}_{level}/shape', np.array([1, -1, width], np.int64))
        flat.append(converter.emit('Reshape', [nhwc, shape], f'{kind}_{level}/flat'))
    return converter.emit('Concat', flat, output, axis=1)


def main():
    graph, weights = load_graph('faceboxes.json')
    # The graph scales to [0, 1], pads, then standardises to [-1, 1]; padding with 0 before scaling is the same.
    converter = Converter(graph, weights, {})
    scaled = converter.emit('Mul', ['image', converter.const('scale', np.float32(weights['mul/y'] * 2))], 'scaled')
    converter.done['standardize_input/sub'] = converter.emit('Sub', [scaled, converter.const('offset', np.float32(1))], 'standardized')
    logits = head(converter, 'class_predictor', 2, 'logits')
    head(converter, 'box_encoding_predictor', 4, 'boxes')
    converter.emit('Softmax', [logits], 'scores', axis=2)
    converter.save('faceboxes', [tensor('image', [1, 3, 'height', 'width'])],
                   [tensor('scores', [1, 'anchors', 2]), tensor('boxes', [1, 'anchors', 4])], 'faceboxes.onnx')


if __name__ == '__main__':
    main()

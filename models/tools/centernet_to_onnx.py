#!/usr/bin/python3
"""Converts the CenterNet (MobileNet v3, COCO) TF.js graph model (models/centernet.json + .bin) to ONNX
(models/centernet.onnx).

Only the network is converted: from the 512 × 512 0-255 RGB image (NCHW) to the class heatmap (sigmoid, stride
4, 80 COCO classes) and the box sizes (left, top, right, bottom distances in input pixels). Peak picking and box
assembly stay in TypeScript (src/vision/objects/centernet-onnx-model.ts), for the few classes the gateway uses.
The converted graph is then simplified by fold_onnx.py (hard-swish and hard-sigmoid as single nodes, scales folded
into the convolutions): same outputs, about 5x faster in ONNX Runtime on CPU.

    /usr/bin/python3 models/tools/centernet_to_onnx.py
"""
import fold_onnx
from tfjs_to_onnx import MODELS, Converter, load_graph, tensor


def main():
    graph, weights = load_graph('centernet.json')
    converter = Converter(graph, weights, {'tower_0/images': 'image'})
    converter.emit('Identity', [converter.value('tower_0/keypoints')], 'heatmap')
    converter.emit('Identity', [converter.value('tower_0/mul')], 'sizes')
    converter.save('centernet', [tensor('image', [1, 3, 512, 512])],
                   [tensor('heatmap', [1, 80, 128, 128]), tensor('sizes', [1, 4, 128, 128])], 'centernet.onnx')
    fold_onnx.main(str(MODELS / 'centernet.onnx'), str(MODELS / 'centernet.onnx'))


if __name__ == '__main__':
    main()

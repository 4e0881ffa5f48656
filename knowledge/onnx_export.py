"""The one-time export of the packaged MiniLM weights to ONNX (torch, in a child process).

Kept apart from the runtime so the bot's process never imports torch: the export runs at
install time (`python -m knowledge.prebuild`) or, if its artefact is missing, once in a child.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.minilm import MODEL_NAME, ONNX_INPUTS, _force_offline, _onnx_session

ROOT = Path(__file__).resolve().parent.parent


def export_in_subprocess(source: Path, target: Path) -> None:
    """Export in a child process, so torch (~1 GB at its peak here) never enters the bot's
    process: its memory stays what the runtime needs even on a first start without the
    install-time step."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from knowledge.onnx_export import export_onnx; "
        "export_onnx(Path(sys.argv[2]), Path(sys.argv[3]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(source), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"the ONNX export of {MODEL_NAME} failed:\n{tail}")


def export_onnx(source: Path, target: Path) -> None:
    """Export the packaged weights to an ONNX graph that returns the last hidden state.

    Pooling and normalisation stay in numpy (`MiniLM.encode`), as sentence-transformers does
    them after the transformer. The export is checked against torch on a padded batch.
    """
    _force_offline()
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(source), local_files_only=True)
    model.eval()

    class LastHiddenState(torch.nn.Module):
        # BertModel's positional arguments moved in transformers 5: pass them by name.
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    wrapper = LastHiddenState(model)
    # A padded sample: a mask of all ones could let the tracer drop the mask from the graph.
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids != 0).long()
    sample = (ids, mask, torch.zeros_like(ids))
    dynamic_axes = {name: {0: "batch", 1: "tokens"} for name in (*ONNX_INPUTS, "last_hidden")}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow
            # Before the export: tracing leaves the module in a state that computes otherwise.
            expected = wrapper(*sample).numpy()
            torch.onnx.export(
                wrapper,
                sample,
                str(tmp),
                input_names=list(ONNX_INPUTS),
                output_names=["last_hidden"],
                dynamic_axes=dynamic_axes,
                opset_version=17,
                dynamo=False,
            )
        feed = {name: t.numpy() for name, t in zip(ONNX_INPUTS, sample, strict=True)}
        got = _onnx_session(tmp).run(None, feed)[0]
        real = mask.numpy().astype(bool)  # compare the real (unpadded) positions
        if not np.allclose(expected[real], got[real], atol=1e-4):
            raise RuntimeError(f"the ONNX export of {MODEL_NAME} does not match the torch model")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()

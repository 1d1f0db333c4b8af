"""The CTC acoustic model's file ("bcresnet_ctc", format_version "2"): export, read back, the
version rules, the CTC label and phonemizer rules, and the golden frame logits
(tests/model/make_ctc_golden.py)."""
import json

import numpy as np
import pytest
import torch

from conftest import GOLDEN_DIR
from kws_training.bcresnet import bcresnet, load_model_file
from kws_training.export import export
from kws_training.modelfile import (BLANK_LABEL, CTC_ARCHITECTURE, DEFAULT_PHONEMIZER, FORMAT_VERSIONS,
                                    ModelFileError, build_metadata, parse_metadata, read_model_file)

TOKENS = [BLANK_LABEL, "k", "@", "m", "p", "j", "u:", "t#", "3"]
CTC_GOLDEN = GOLDEN_DIR / "ctc"

torch.set_num_threads(1)


def test_ctc_export_roundtrip(tmp_path):
    model = bcresnet(1, len(TOKENS)).eval()
    path = tmp_path / "ctc.kws"
    export(model, 1, TOKENS, path, input_frames=301, architecture=CTC_ARCHITECTURE, description="ctc")
    written = read_model_file(path)
    assert written.architecture == CTC_ARCHITECTURE and written.metadata["format_version"] == "2"
    assert written.phonemizer == DEFAULT_PHONEMIZER
    assert json.loads(written.metadata["phonemizer"]) == DEFAULT_PHONEMIZER
    assert written.labels == TOKENS and written.input_frames == 301 and written.thresholds is None
    loaded, _ = load_model_file(path)
    inputs = torch.randn(1, 1, 40, 120)
    with torch.no_grad():
        assert torch.equal(loaded.frame_logits(inputs), model.frame_logits(inputs))


def test_classifiers_keep_format_version_1(tmp_path):
    metadata = build_metadata(1, ["_silence_", "yes"])
    assert metadata["format_version"] == "1" == FORMAT_VERSIONS["bcresnet"]
    assert parse_metadata(metadata)["architecture"] == "bcresnet"
    assert parse_metadata(metadata)["phonemizer"] is None
    assert parse_metadata({**metadata, "format_version": "2"})["architecture"] == "bcresnet"


@pytest.mark.parametrize("edit, message", [
    ({"format_version": "1"}, "needs format_version '2'"),
    ({"format_version": "3"}, "unsupported format_version"),
    ({"architecture": "bcresnet_rnnt"}, "unsupported architecture"),
    ({"labels": json.dumps(TOKENS[1:] + [BLANK_LABEL]), "num_classes": str(len(TOKENS))}, "must be the blank"),
    ({"labels": json.dumps([BLANK_LABEL, "a b", "c"]), "num_classes": "3"}, "whitespace"),
    ({"labels": json.dumps([BLANK_LABEL]), "num_classes": "1"}, "at least one token"),
    ({"phonemizer": "{espeak"}, "phonemizer is not valid JSON"),
    ({"phonemizer": "[1]"}, "must be a JSON object"),
    ({"phonemizer": json.dumps({"engine": "espeak-ng", "voice": "en-us"})}, "'notation'"),
    ({"thresholds": json.dumps({"k": 0.5})}, "for classifiers"),
])
def test_ctc_metadata_rules(edit, message):
    metadata = build_metadata(1, TOKENS, architecture=CTC_ARCHITECTURE)
    with pytest.raises(ModelFileError, match=message):
        parse_metadata({**metadata, **edit})


def test_ctc_metadata_needs_a_phonemizer_and_classifiers_take_none():
    metadata = build_metadata(1, TOKENS, architecture=CTC_ARCHITECTURE)
    del metadata["phonemizer"]
    with pytest.raises(ModelFileError, match="phonemizer"):
        parse_metadata(metadata)
    with pytest.raises(ModelFileError, match="only for the CTC architecture"):
        build_metadata(1, ["_silence_", "yes"], phonemizer=DEFAULT_PHONEMIZER)
    with pytest.raises(ModelFileError, match="unsupported architecture"):
        build_metadata(1, TOKENS, architecture="transformer")


def test_golden_ctc_frame_logits_reproduce():
    index_path = CTC_GOLDEN / "index.json"
    if not index_path.exists():
        pytest.skip("no CTC golden data (run tests/model/make_ctc_golden.py)")
    index = json.loads(index_path.read_text())
    inputs = torch.as_tensor(np.load(CTC_GOLDEN / index["inputs"]["file"]))
    for entry in index["models"]:
        model, model_file = load_model_file(CTC_GOLDEN / entry["model"])
        assert model_file.architecture == CTC_ARCHITECTURE and model_file.labels == index["labels"]
        with torch.no_grad():
            got = model.frame_logits(inputs).numpy()
        expected = np.load(CTC_GOLDEN / entry["frame_logits"]["file"])
        np.testing.assert_allclose(got, expected, atol=1e-5 * max(1.0, entry["max_abs_logit"]), rtol=0)

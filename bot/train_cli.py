"""`routebot train`: rebuild the lane model and say how it scored out of fold.

Needs the `train` extra (`pip install 'routebot[train]'`); routing itself does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot.config import load_config
from commands.errors import UserError
from commands.lane_model import blank_lane_model
from commands.policy import load_policy


def run_train_command(files: list[str], *, out: str | None, shipped: bool, stdout: TextIO) -> int:
    try:
        from commands.training import corpus_files, read_labelled, summary, train
    except ImportError as exc:  # scikit-learn is an optional extra
        raise UserError(
            f"training needs the train extra ({exc.name} is missing): pip install 'routebot[train]'"
        ) from None
    config = load_config()
    blank = load_policy(config.policy_path, blank_lane_model(()))
    paths = [*(corpus_files() if shipped else []), *(Path(f) for f in files)]
    if not paths:
        raise UserError("nothing to train on: name labelled JSONL files, or drop --no-shipped")
    cases = read_labelled(paths)
    content, results = train(cases, blank)
    target = Path(out) if out else Path(blank.lane_model.source)
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror}") from None
    stdout.write(f"trained on {len(cases)} cases from {len(paths)} file(s); wrote {target}\n")
    stdout.write(summary(results) + "\n")
    return 0

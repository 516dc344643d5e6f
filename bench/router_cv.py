"""Cross-validation of the whole router with batch-grouped folds: train on every corpus file but one batch,
score the held-out batch (rules included), for each batch in turn; the seed files are always trained on.

Run from the repo root: `python -m bench.router_cv [--c 50] [--alternative-weight 0.3] [--under-cost 2]
[--first-step-cost 1] [--min-df 3]`. Batch-grouped folds are closer to the blind scores than random folds:
a batch's writer has habits (a domain, a way of asking) that a random split leaks into training.
Needs the `train` extra.

Besides each batch, it prints English and other languages apart (a case's `lang` field; no field is
English), and a reliability table: the share of decisions that were acceptable at each stated confidence.
Each fold's model is calibrated with the shipped model's Platt scaling (`commands/lane-model.json`, fitted
out of fold by `routebot train`): two numbers fitted over the whole corpus, not per fold.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from commands.evaluate import Case  # noqa: E402
from commands.lane_model import parse_lane_model  # noqa: E402
from commands.policy import Policy, load_policy  # noqa: E402
from commands.router import CONFIDENT, UNSURE, route  # noqa: E402
from commands.training import Params, case_features, corpus_files, fit, read_labelled  # noqa: E402


@dataclass(frozen=True)
class Scored:
    batch: str
    english: bool
    acceptable: bool
    under: bool
    far_under: bool  # more than one rung under
    confidence: float


def languages(path: Path) -> list[str]:
    """Each case's `lang` (English when the line has none), in file order."""
    return [
        str(json.loads(line).get("lang", "en"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def held_out_scores(policy: Policy, params: Params) -> list[Scored]:
    """Every case of every batch, routed by a model trained on the seed and all the other batches."""
    paths = {path.stem: path for path in corpus_files()}
    by_file = {stem: read_labelled([path]) for stem, path in paths.items()}
    featured = {stem: [case_features(c, policy) for c in cases] for stem, cases in by_file.items()}
    batches = sorted(stem for stem in by_file if stem.startswith("batch-"))
    calibration = policy.lane_model.calibration
    scores = []
    for held in batches:
        train_cases: list[Case] = []
        train_features = []
        for stem, cases in by_file.items():
            if stem != held:
                train_cases += cases
                train_features += featured[stem]
        model = parse_lane_model(fit(train_cases, train_features, policy, params, calibration), held)
        folded = replace(policy, lane_model=model)
        for case, lang in zip(by_file[held], languages(paths[held]), strict=True):
            decision = route(case.text, folded)
            lowest = min(policy.lane(lane).rung for lane in case.acceptable)
            scores.append(
                Scored(
                    held,
                    lang == "en",
                    decision.lane.id in case.acceptable,
                    decision.lane.rung < lowest,
                    decision.lane.rung < lowest - 1,
                    decision.confidence,
                )
            )
    return scores


def _line(label: str, scored: list[Scored]) -> str:
    n = len(scored) or 1
    acceptable = sum(s.acceptable for s in scored) / n
    under = sum(s.under for s in scored) / n
    far = sum(s.far_under for s in scored)
    return f"{label:<18} {len(scored):>6} {acceptable:>11.1%} {under:>7.1%} {far:>9}"


def main() -> None:
    defaults = Params()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=defaults.c)
    parser.add_argument("--alternative-weight", type=float, default=defaults.alternative_weight)
    parser.add_argument("--under-cost", type=float, default=defaults.under_cost)
    parser.add_argument("--first-step-cost", type=float, default=defaults.first_step_cost)
    parser.add_argument("--min-df", type=int, default=defaults.min_df)
    args = parser.parse_args()
    params = replace(
        defaults,
        c=args.c,
        alternative_weight=args.alternative_weight,
        under_cost=args.under_cost,
        first_step_cost=args.first_step_cost,
        min_df=args.min_df,
    )
    scores = held_out_scores(load_policy(), params)
    batches = sorted({s.batch for s in scores}, key=lambda b: int(b.split("-")[1]))
    print(f"{'held out':<18} {'cases':>6} {'acceptable':>11} {'under':>7} {'>1 under':>9}")
    for batch in batches:
        print(_line(batch, [s for s in scores if s.batch == batch]))
    print(_line("English", [s for s in scores if s.english]))
    print(_line("other languages", [s for s in scores if not s.english]))
    shares = [
        sum(s.acceptable for s in scores if s.batch == b) / sum(1 for s in scores if s.batch == b)
        for b in batches
    ]
    print(f"mean over {len(batches)} batches: acceptable {sum(shares) / len(shares):.1%}")
    print("reliability (stated confidence -> share acceptable):")
    bands = (
        (f">= {CONFIDENT}", CONFIDENT, 2.0),
        (f"{UNSURE}-{CONFIDENT}", UNSURE, CONFIDENT),
        (f"< {UNSURE}", -1.0, UNSURE),
    )
    for name, low, high in bands:
        inside = [s for s in scores if low <= s.confidence < high]
        share = sum(s.acceptable for s in inside) / (len(inside) or 1)
        print(f"  {name:<10} {len(inside):>6} decisions {share:.1%}")


if __name__ == "__main__":
    main()

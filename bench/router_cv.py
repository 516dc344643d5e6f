"""Cross-validation of the whole router with batch-grouped folds: train on every corpus file but one batch,
score the held-out batch (rules included), for each batch in turn; the seed files are always trained on.

Run from the repo root: `python -m bench.router_cv [--c 50] [--alternative-weight 0.3] [--under-cost 2]
[--min-df 3]`. Batch-grouped folds are closer to the blind scores than random folds: a batch's writer has
habits (a domain, a way of asking) that a random split leaks into training. Needs the `train` extra.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from commands.evaluate import Case  # noqa: E402
from commands.lane_model import parse_lane_model  # noqa: E402
from commands.policy import Policy, load_policy  # noqa: E402
from commands.router import route  # noqa: E402
from commands.training import Params, case_features, corpus_files, fit, read_labelled  # noqa: E402


def held_out_scores(policy: Policy, params: Params) -> list[tuple[str, int, int, int, int]]:
    """(batch, cases, acceptable, under-routed, more than one rung under) for each held-out batch."""
    by_file = {path.stem: read_labelled([path]) for path in corpus_files()}
    featured = {stem: [case_features(c, policy) for c in cases] for stem, cases in by_file.items()}
    batches = sorted(stem for stem in by_file if stem.startswith("batch-"))
    scores = []
    for held in batches:
        train_cases: list[Case] = []
        train_features = []
        for stem, cases in by_file.items():
            if stem != held:
                train_cases += cases
                train_features += featured[stem]
        model = parse_lane_model(fit(train_cases, train_features, policy, params), held)
        folded = replace(policy, lane_model=model)
        acceptable = under = far_under = 0
        for case in by_file[held]:
            decision = route(case.text, folded)
            lowest = min(policy.lane(lane).rung for lane in case.acceptable)
            acceptable += decision.lane.id in case.acceptable
            under += decision.lane.rung < lowest
            far_under += decision.lane.rung < lowest - 1
        scores.append((held, len(by_file[held]), acceptable, under, far_under))
    return scores


def main() -> None:
    defaults = Params()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=defaults.c)
    parser.add_argument("--alternative-weight", type=float, default=defaults.alternative_weight)
    parser.add_argument("--under-cost", type=float, default=defaults.under_cost)
    parser.add_argument("--min-df", type=int, default=defaults.min_df)
    args = parser.parse_args()
    params = replace(
        defaults,
        c=args.c,
        alternative_weight=args.alternative_weight,
        under_cost=args.under_cost,
        min_df=args.min_df,
    )
    scores = held_out_scores(load_policy(), params)
    print(f"{'held out':<10} {'cases':>6} {'acceptable':>11} {'under':>7} {'>1 under':>9}")
    for held, n, acceptable, under, far_under in scores:
        print(f"{held:<10} {n:>6} {acceptable / n:>11.1%} {under / n:>7.1%} {far_under:>9}")
    mean_acceptable = sum(a / n for _, n, a, _, _ in scores) / len(scores)
    mean_under = sum(u / n for _, n, _, u, _ in scores) / len(scores)
    total = sum(n for _, n, _, _, _ in scores)
    pooled = sum(a for _, _, a, _, _ in scores) / total
    print(f"mean over {len(scores)} batches: acceptable {mean_acceptable:.1%}, under-routed {mean_under:.1%}")
    print(f"pooled over {total} cases: acceptable {pooled:.1%}")


if __name__ == "__main__":
    main()

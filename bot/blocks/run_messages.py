"""Thread messages for a run: progress, the answer (split across messages), failures, escalation buttons."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.common import Block, actions, button, code, confirm_dialog, context, section
from bot.mrkdwn import MESSAGE_TEXT_BUDGET, SECTION_LIMIT, escape, mention, split_escaped
from commands.ladder import Step
from commands.policy import ModelChoice, Policy
from commands.pricing import rate_card, rates_of, usd
from commands.runs import REASONS
from storage.records import Run

Message = dict[str, Any]  # keyword arguments for chat.postMessage / chat.update (minus channel, thread)
# action ids of the controls under an answer or a failure
ESCALATE = "escalate_"  # + provider id
ESCALATE_REASON = "escalate_reason"
RETRY = "retry"
FEEDBACK = "feedback"  # the feedback_buttons under each answer


def choice_of(run: Run) -> ModelChoice:
    return ModelChoice(run.provider, run.model, run.effort)


def progress(run: Run, policy: Policy) -> Message:
    lane = policy.lane(run.lane)
    what = "Retrying" if run.attempt > 1 else "Escalating to" if run.escalated_from else "Running on"
    model = code(choice_of(run).label)
    text = f":hourglass_flowing_sand: {what} {model} ({lane.title} lane) for {mention(run.user_id)}…"
    return {"text": f"{what} {choice_of(run).label}…", "blocks": [section(text)]}


def cost_text(run: Run) -> str:
    if run.cost_known:
        return usd(run.cost_nanousd)
    return f"cost unknown (no price for {run.model} in the policy)"


def run_summary(run: Run) -> str:
    seconds = f"{run.seconds:.1f} s" if run.seconds is not None else "?"
    tokens = f"{run.input_tokens or 0:,} in / {run.output_tokens or 0:,} out tokens"
    extras = []
    if run.cache_read_tokens:
        extras.append(f"{run.cache_read_tokens:,} cache read")
    if run.cache_write_tokens:
        extras.append(f"{run.cache_write_tokens:,} cache write")
    if run.reasoning_tokens:
        extras.append(f"{run.reasoning_tokens:,} reasoning")
    detail = f" ({', '.join(extras)})" if extras else ""
    return f"{code(choice_of(run).label)} · {seconds} · {tokens}{detail} · {cost_text(run)}"


def finished(run: Run, delivery: str = "delivered", error: str | None = None) -> Message:
    """What the progress message becomes once the run has ended and its outcome was (or wasn't) posted.

    The tick means the answer is in the thread; otherwise the message says where it went, or what failed.
    """
    label = code(choice_of(run).label)
    if delivery == "delivered_privately":
        text = (
            f":warning: Run on {label} finished, but routebot cannot post in this channel"
            f" (`{escape(error or '')}`): {mention(run.user_id)} got the result in a direct message."
        )
    elif delivery == "failed":
        text = (
            f":x: Run on {label} finished, but its result could not be posted"
            f" (`{escape(error or 'unknown')}`). It is saved: routebot posts it when it next starts."
        )
    elif run.status == "succeeded" and run.refused:
        text = f":no_entry_sign: {label} declined the task · {cost_text(run)}"
    elif run.status == "succeeded":
        text = f":white_check_mark: {run_summary(run)}"
    elif run.status == "interrupted":
        text = f":warning: Run on {label} was interrupted by a restart."
    else:
        text = f":x: Run on {label} failed."
    return {"text": text, "blocks": [section(text)]}


def ladder_line(runs: list[Run]) -> str:
    steps = [code(choice_of(r).label) + ("" if r.status == "succeeded" else f" ({r.status})") for r in runs]
    return "Ladder so far: " + " → ".join(steps)


def answer_messages(run: Run, ladder: list[Run], steps: list[Step], policy: Policy) -> list[Message]:
    """The answer, split so no text is lost, with the escalation controls under the last part."""
    lane = policy.lane(run.lane)
    if run.refused:
        return [refusal(run, ladder, steps, policy)]
    header = section(
        f"*Answer from {code(choice_of(run).label)}* ({lane.title} lane) for {mention(run.user_id)}"
    )
    chunks = split_escaped(run.answer, SECTION_LIMIT) if run.answer else ["_(the model returned no text)_"]
    per_message = max(1, MESSAGE_TEXT_BUDGET // SECTION_LIMIT)
    groups = [chunks[i : i + per_message] for i in range(0, len(chunks), per_message)]
    messages: list[Message] = []
    for index, group in enumerate(groups):
        blocks: list[Block] = [header] if index == 0 else []
        blocks += [section(chunk) for chunk in group]
        if len(groups) > 1:
            blocks.append(context(f"part {index + 1} of {len(groups)}"))
        messages.append(
            {"text": f"Answer from {run.model} (part {index + 1} of {len(groups)})", "blocks": blocks}
        )
    messages[-1]["blocks"].extend(answer_footer(run, ladder, steps, policy))
    return messages


def refusal(run: Run, ladder: list[Run], steps: list[Step], policy: Policy) -> Message:
    """A model that declined the task: its reason if it gave one, the cost the API reported, Retry and
    the escalation buttons (another model may well answer)."""
    label = code(choice_of(run).label)
    blocks: list[Block] = [
        section(f":no_entry_sign: *{label} declined this task* for {mention(run.user_id)}.")
    ]
    if run.answer:
        blocks.append(section(split_escaped(run.answer, SECTION_LIMIT)[0]))
    blocks += [context(run_summary(run)), context(ladder_line(ladder))]
    blocks.append(actions(f"retry:{run.id}", button("Retry", "retry", {"run": run.id}, style="primary")))
    blocks += escalation_blocks(run, steps, policy)
    return {"text": f"{run.model} declined the task", "blocks": blocks}


def plain_text(run: Run, policy: Policy) -> str:
    """The outcome as raw text, for when Slack refuses the formatted messages (delivery escapes it)."""
    if run.status == "succeeded":
        what = "declined the task" if run.refused else "answered"
        head = f"{choice_of(run).label} ({policy.lane(run.lane).title} lane) {what}:"
        return f"{head}\n\n{run.answer or '(no text)'}\n\n{cost_text(run)}"
    label = policy.provider_labels.get(run.provider, run.provider)
    return f"{label} could not answer ({run.status}): {run.error_message or 'unknown error'}"


def answer_footer(run: Run, ladder: list[Run], steps: list[Step], policy: Policy) -> list[Block]:
    """Under an answer, posted or streamed: cost line, ladder, trimming note, escalation, feedback."""
    footer: list[Block] = [context(run_summary(run)), context(ladder_line(ladder))]
    if run.trimmed_turns:
        footer.append(context(f":scissors: {trimmed_note(run.trimmed_turns)}"))
    footer += escalation_blocks(run, steps, policy)
    footer.append(feedback_block(run))
    return footer


def trimmed_note(trimmed: int) -> str:
    what = "exchange" if trimmed == 1 else "exchanges"
    return (
        f"The {trimmed} oldest {what} of this conversation were left out to fit the model's context window."
    )


def feedback_block(run: Run) -> Block:
    """Helpful / not helpful, as Slack's AI app guidance does it: feedback_buttons in a context_actions block.

    https://docs.slack.dev/reference/block-kit/block-elements/feedback-buttons-element
    """

    def choice(text: str, helpful: bool) -> dict[str, Any]:
        value = json.dumps({"run": run.id, "helpful": int(helpful)}, separators=(",", ":"))
        return {"text": {"type": "plain_text", "text": text}, "value": value}

    return {
        "type": "context_actions",
        "block_id": f"feedback:{run.id}",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK,
                "positive_button": {**choice("Helpful", True), "accessibility_label": "This answer helped"},
                "negative_button": {
                    **choice("Not helpful", False),
                    "accessibility_label": "This answer did not help",
                },
            }
        ],
    }


def escalation_blocks(run: Run, steps: list[Step], policy: Policy) -> list[Block]:
    if not steps:
        return [context(":top: Top of the ladder for this request: nothing stronger to escalate to.")]
    buttons = []
    for step in steps:
        confirm = None
        if step.needs_confirmation:
            confirm = confirm_dialog(
                f"Escalate to the {step.lane} lane?",
                _max_cost_note(policy, run, step),
                f"Run {step.choice.label}"[:30],
            )
        buttons.append(
            button(
                f"Escalate to {step.choice.label}",
                f"{ESCALATE}{step.provider}",
                {"run": run.id, "provider": step.provider},
                confirm=confirm,
            )
        )
    reason = {
        "type": "static_select",
        "action_id": ESCALATE_REASON,
        "placeholder": {"type": "plain_text", "text": "Why escalate? (optional)"},
        "options": [
            {"text": {"type": "plain_text", "text": label}, "value": key} for key, label in REASONS.items()
        ],
    }
    return [actions(f"escalate:{run.id}", reason, *buttons)]


def _max_cost_note(policy: Policy, run: Run, step: Step) -> str:
    # The rates in force when the run was made: close enough to now for a note, and needs no clock.
    new = rates_of(policy, step.provider, step.choice.model, run.created_at)
    old = rates_of(policy, run.provider, run.model, run.created_at)
    note = f"{step.choice.label}: {rate_card(new)}."
    if new and old:
        more_in, more_out = new.base.input - old.base.input, new.base.output - old.base.output
        note += (
            f" That is ${more_in:+.2f} in / ${more_out:+.2f} out per million tokens"
            f" vs {choice_of(run).label}."
        )
    if step.choice.effort == "xhigh":
        note += " xhigh effort spends far more reasoning tokens, billed as output."
    return note


def partial_messages(run: Run) -> list[Message]:
    """What a run that broke mid-stream had written, for a thread that did not see it streamed."""
    if run.status == "succeeded" or not run.answer:
        return []
    header = section(f"*Partial answer from {code(choice_of(run).label)}* (it stopped before the end)")
    chunks = split_escaped(run.answer, SECTION_LIMIT)
    per_message = max(1, MESSAGE_TEXT_BUDGET // SECTION_LIMIT)
    groups = [chunks[i : i + per_message] for i in range(0, len(chunks), per_message)]
    return [
        {
            "text": f"Partial answer from {run.model}",
            "blocks": ([header] if index == 0 else []) + [section(c) for c in group],
        }
        for index, group in enumerate(groups)
    ]


def failure(run: Run, policy: Policy) -> Message:
    label = policy.provider_labels.get(run.provider, run.provider)
    if run.status == "interrupted":
        text = (
            f":warning: The run on {code(choice_of(run).label)} was interrupted: routebot restarted while it "
            "was in progress. Nothing was charged for it here. Press Retry to run it again."
        )
    else:
        text = f":x: *{label}* could not answer: {escape(run.error_message or 'unknown error')}"
    blocks = [section(text)]
    if run.error_kind not in ("purged",):
        blocks.append(actions(f"retry:{run.id}", button("Retry", RETRY, {"run": run.id}, style="primary")))
    return {"text": f"Run on {run.model} {run.status}", "blocks": blocks}

"""Build the reasoner an eval runs: by name, optionally at a given prompt version.

Names are the worker's (``activities.reasoning.REASONERS``: ``rules`` today; the LLM reasoners
register there too), so evals measure exactly what the worker would run. A prompt version is
passed through the settings field ``prompt_version`` when the build has one; the rules reasoner
has no prompts, so for it the version only labels the run.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.reasoning import REASONERS, Reasoner, build_reasoner
from settings import Settings, get_settings

PROMPT_VERSION_SETTING = "prompt_version"


@dataclass(frozen=True)
class ReasonerChoice:
    name: str
    prompt_version: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.prompt_version}" if self.prompt_version else self.name


class ReasonerSetupError(ValueError):
    pass


def known_reasoners() -> list[str]:
    return sorted(REASONERS)


def make_reasoner(choice: ReasonerChoice, settings: Settings | None = None) -> Reasoner:
    settings = settings or get_settings()
    if choice.name not in REASONERS:
        raise ReasonerSetupError(
            f"unknown reasoner {choice.name!r}; choose one of: {', '.join(known_reasoners())}"
        )
    update: dict[str, object] = {"reasoner": choice.name}
    if choice.prompt_version and PROMPT_VERSION_SETTING in Settings.model_fields:
        update[PROMPT_VERSION_SETTING] = choice.prompt_version
    return build_reasoner(settings.model_copy(update=update))


def prompt_version_note(choice: ReasonerChoice) -> str | None:
    """A warning when --prompt-version cannot reach the reasoner."""
    if not choice.prompt_version:
        return None
    if choice.name == "rules":
        return "note: the rules reasoner has no prompts; --prompt-version only labels this run"
    if PROMPT_VERSION_SETTING not in Settings.model_fields:
        return (
            f"note: this build has no '{PROMPT_VERSION_SETTING}' setting yet; "
            "--prompt-version only labels this run"
        )
    return None

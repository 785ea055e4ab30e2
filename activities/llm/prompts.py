"""Versioned prompts: load, validate and render the YAML files under ``prompts/``.

Layout: one folder per prompt (``signal_analysis``, ``recommendation``, ``critique``), one file
per version (``v1.yaml``, ``v2.yaml`` ...) and a ``LATEST`` file naming the version served by
default, so a new version can be added and evaluated before it goes live. ``PROMPT_VERSION``
selects the prompt set: ``latest`` (each folder's ``LATEST``) or ``vN``, the newest version of
each prompt that is not newer than N (the set as it stood at vN).

Every file is validated when the worker starts, and a broken one stops it with a message naming
the file. Campaign data is untrusted, so the validation also enforces the injection defence:
variables go only into the user message and only inside their own delimited block
(``<campaign_data>${campaign_data}</campaign_data>``), and their values are JSON in which ``<``
and ``>`` are escaped, so no value can close its block and pose as instructions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from string import Template
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.usage import Operation
from settings import ConfigurationError

# prompt folder -> the variables its user template may use (campaign_data is required).
PROMPT_VARIABLES: dict[str, frozenset[str]] = {
    "signal_analysis": frozenset({"campaign_data", "thresholds"}),
    "recommendation": frozenset(
        {
            "campaign_data",
            "analysis",
            "guardrails",
            "previous_attempt",
            "critique",
            "reviewer_feedback",
        }
    ),
    "critique": frozenset({"campaign_data", "analysis", "recommendation", "reviewer_feedback"}),
}
REPAIR_VARIABLES = frozenset({"previous_answer", "validation_errors"})
OPERATION_OF_PROMPT: dict[str, Operation] = {
    "signal_analysis": Operation.analysis,
    "recommendation": Operation.recommendation,
    "critique": Operation.critique,
}
LATEST = "latest"
_VERSION = re.compile(r"^v(\d+)$")


class PromptFileError(ConfigurationError):
    """A prompt file (or folder) is missing or invalid; the message names the file."""


class ModelTier(StrEnum):
    """Which configured model a prompt runs on."""

    routed = "routed"  # cheap, or strong when the case's complexity score is high
    cheap = "cheap"  # LLM_MODEL
    strong = "strong"  # LLM_STRONG_MODEL


class PromptFile(BaseModel):
    """One ``vN.yaml``."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=_VERSION.pattern)
    date: date
    description: str = Field(min_length=1)
    changelog: list[str] = Field(min_length=1)
    model: ModelTier
    temperature: float = Field(ge=0, le=2)
    max_tokens: int = Field(ge=1, le=32_000)
    system: str = Field(min_length=1)
    user: str = Field(min_length=1)
    repair: str = Field(min_length=1, description="appended to the user message to re-ask")


@dataclass(frozen=True)
class Prompt:
    """A validated prompt version, ready to render."""

    name: str
    spec: PromptFile

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def operation(self) -> Operation:
        return OPERATION_OF_PROMPT[self.name]

    def render_user(self, variables: dict[str, Any]) -> str:
        return _render(self.spec.user, variables)

    def render_repair(self, previous_answer: Any, validation_errors: str) -> str:
        return _render(
            self.spec.repair,
            {"previous_answer": previous_answer, "validation_errors": validation_errors},
        )


def data_block(value: Any) -> str:
    """JSON for a delimited data block: ``<`` and ``>`` escaped, so a value cannot close it."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def _render(template: str, variables: dict[str, Any]) -> str:
    return Template(template).substitute({k: data_block(v) for k, v in variables.items()})


@dataclass(frozen=True)
class PromptSet:
    """The prompt of each step that a reasoner uses."""

    prompts: dict[str, Prompt]

    def __getitem__(self, name: str) -> Prompt:
        return self.prompts[name]

    @property
    def versions(self) -> dict[str, str]:
        return {name: prompt.version for name, prompt in sorted(self.prompts.items())}


class PromptRegistry:
    """Every version of every prompt, validated."""

    def __init__(self, versions: dict[str, dict[int, Prompt]], latest: dict[str, int]) -> None:
        self._versions = versions
        self._latest = latest

    @classmethod
    def load(cls, directory: Path) -> PromptRegistry:
        """Read and validate the whole folder; raises PromptFileError naming the bad file."""
        if not directory.is_dir():
            raise PromptFileError(f"{directory}: prompts folder not found (PROMPTS_DIR)")
        versions = {name: _load_versions(directory / name) for name in PROMPT_VARIABLES}
        latest = {name: _latest(directory / name, versions[name]) for name in PROMPT_VARIABLES}
        return cls(versions, latest)

    def select(self, version: str = LATEST) -> PromptSet:
        """``latest`` or ``vN``; raises PromptFileError when a prompt has no such version."""
        if version == LATEST:
            return PromptSet({n: self._versions[n][v] for n, v in self._latest.items()})
        match = _VERSION.match(version)
        if match is None:
            raise PromptFileError(f"PROMPT_VERSION={version!r}: expected 'latest' or vN")
        wanted = int(match.group(1))
        chosen: dict[str, Prompt] = {}
        for name, by_number in self._versions.items():
            older = [n for n in by_number if n <= wanted]
            if not older:
                raise PromptFileError(f"prompt {name} has no version at or before {version}")
            chosen[name] = by_number[max(older)]
        return PromptSet(chosen)


def _load_versions(folder: Path) -> dict[int, Prompt]:
    files = sorted(folder.glob("v*.yaml"))
    if not files:
        raise PromptFileError(f"{folder}: no prompt versions (expected v1.yaml, ...)")
    return {_version_number(path): _load_file(folder.name, path) for path in files}


def _version_number(path: Path) -> int:
    match = _VERSION.match(path.stem)
    if match is None:
        raise PromptFileError(f"{path}: file name must be vN.yaml")
    return int(match.group(1))


def _load_file(name: str, path: Path) -> Prompt:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise PromptFileError(f"{path}: cannot read YAML: {err}") from err
    try:
        spec = PromptFile.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '<file>'}: {e['msg']}" for e in err.errors()
        )
        raise PromptFileError(f"{path}: {problems}") from err
    if spec.version != path.stem:
        raise PromptFileError(f"{path}: version {spec.version!r} does not match the file name")
    problem = _template_problem(spec, PROMPT_VARIABLES[name])
    if problem:
        raise PromptFileError(f"{path}: {problem}")
    return Prompt(name, spec)


def _template_problem(spec: PromptFile, allowed: frozenset[str]) -> str | None:
    if "${" in spec.system:
        return "system: takes no variables (data goes in the user message's data blocks)"
    for field, template, variables in (
        ("user", spec.user, allowed),
        ("repair", spec.repair, REPAIR_VARIABLES),
    ):
        compiled = Template(template)
        if not compiled.is_valid():
            return f"{field}: invalid placeholder (write $$ for a literal dollar sign)"
        used = set(compiled.get_identifiers())
        unknown = used - variables
        if unknown:
            return f"{field}: unknown variables {sorted(unknown)}; allowed: {sorted(variables)}"
        for variable in used:
            if not re.search(rf"<{variable}>\s*\$\{{{variable}\}}\s*</{variable}>", template):
                return (
                    f"{field}: ${{{variable}}} must stand alone in its data block "
                    f"<{variable}>${{{variable}}}</{variable}>"
                )
    if "campaign_data" not in Template(spec.user).get_identifiers():
        return "user: must include the <campaign_data>${campaign_data}</campaign_data> block"
    return None


def _latest(folder: Path, versions: dict[int, Prompt]) -> int:
    pointer = folder / "LATEST"
    try:
        named = pointer.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise PromptFileError(f"{pointer}: missing (it names the version served, e.g. v1)") from err
    match = _VERSION.match(named)
    if match is None or int(match.group(1)) not in versions:
        raise PromptFileError(f"{pointer}: names {named!r}, which is not a version in {folder}")
    return int(match.group(1))

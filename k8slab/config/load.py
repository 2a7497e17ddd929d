"""Reading lab.yaml: every problem found (YAML, duplicates, types, cross-field rules) raised
together in one ConfigError, else the Lab with its defaults filled in."""
from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from . import yamlpos
from .problems import Problem, describe, fmt
from .rules import cross_field_problems, partial
from .schema import Lab
from .translate import validation_problem, yaml_problem

CONFIG_ENV = "K8S_LAB_CONFIG"


def default_config_path() -> Path:
    """$K8S_LAB_CONFIG if set, else lab.yaml in the current folder."""
    return Path(os.environ.get(CONFIG_ENV) or "lab.yaml")


def load_lab(path, model: type[Lab]) -> Lab:
    """Read and check lab.yaml as model (the engine's Lab, or a tutorial's subclass of it);
    raises ConfigError listing every problem found."""
    path = Path(path).expanduser().resolve()
    problems = []
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(path, [Problem("", None, "file not found (create it from the shipped "
                                         "lab.yaml, or pass --config / set $K8S_LAB_CONFIG)")])
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        column = e.start - raw.rfind(b"\n", 0, e.start)
        raise ConfigError(path, [Problem("", line, f"is not UTF-8 text (byte 0x{raw[e.start]:02x} "
                                         f"in column {column}); save the file "
                                         "as UTF-8, e.g. `iconv -f GBK -t UTF-8 lab.yaml > lab-utf8.yaml` "
                                         "for a file written in GBK")])
    except OSError as e:
        raise ConfigError(path, [Problem("", None, f"cannot read the file: {e.strerror or e}")])
    try:
        loaded = yamlpos.load(text)
    except yaml.YAMLError as e:
        raise ConfigError(path, [yaml_problem(e)])

    data = loaded.data
    if data is None:
        raise ConfigError(path, [Problem("", None, "the file is empty; a lab needs at least a "
                                         "'nodes:' list")])
    if not isinstance(data, dict):
        raise ConfigError(path, [Problem("", 1, "the top level must be a mapping of settings "
                                         f"(name, platform, nodes, ...), got {describe(data)}")])

    for d in loaded.duplicates:
        problems.append(Problem(fmt(d.path), d.line, f"written twice in the same mapping "
                                f"(first at line {d.first_line}); write each key once"))
    lab = None
    try:
        lab = model.model_validate(data)
    except ValidationError as e:
        # in the order of the model's keys (a subclass's own fields come last in pydantic's)
        order = {k: i for i, k in enumerate(model.lab_keys())}
        errors = sorted(e.errors(), key=lambda err: order.get(err["loc"][0], len(order))
                        if err["loc"] else -1)
        problems += [validation_problem(err, loaded, model) for err in errors]
    problems += cross_field_problems(partial(model, data), loaded, model)

    if problems:
        problems = _dedupe(problems)
        problems.sort(key=lambda p: (p.line or 0))
        raise ConfigError(path, problems)

    lab._path = path
    return lab


def _dedupe(problems):
    seen, out = set(), []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out

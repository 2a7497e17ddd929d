"""Pydantic's and YAML's errors as Problems an instructor can act on: the key path, the line,
what was given and what was expected (with a suggestion for a misspelt key or value)."""
from __future__ import annotations

import re

import yaml
from pydantic import BaseModel

from . import yamlpos
from .problems import Problem, bool_hint, describe, fmt, suggest
from .schema import Lab

def yaml_problem(e: yaml.YAMLError) -> Problem:
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    what = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None)
    if context:
        what = f"{what} ({context})"
    if mark is None:
        return Problem("", None, f"not valid YAML: {what}")
    return Problem("", mark.line + 1, f"not valid YAML (column {mark.column + 1}): {what}")

def _model_at(model, loc):
    """The model whose keys are allowed at loc (a mapping's path) of a lab read as model, or None."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        # a list's items, an optional section's model (list[Node], Optional[Gateway])
        inner = next((a for a in getattr(ann, "__args__", ()) if a is not type(None)), ann)
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return model


def _keys(model) -> list:
    return model.lab_keys() if issubclass(model, Lab) else list(model.model_fields)


EXPECTED = {"int_type": "expected a whole number", "string_type": "expected a string",
            "list_type": "expected a list", "model_type": "expected a mapping of settings",
            "dict_type": "expected a mapping of settings", "model_attributes_type":
            "expected a mapping of settings", "bool_type": "expected true or false"}


def validation_problem(err: dict, loaded: yamlpos.Loaded, model) -> Problem:
    """err: one of pydantic's errors for the file's data read as model (a Lab class)."""
    loc, kind, given = tuple(err["loc"]), err["type"], err.get("input")
    path, line = fmt(loc), loaded.line(loc)
    if kind == "missing":
        if loc == ("nodes",):
            return Problem(path, line, "is required: the list of the lab's nodes (name, ip, roles)")
        return Problem(path, line, "is required")
    if kind == "invalid_key":  # a key YAML read as a number, boolean, date...
        path = fmt(loc[:-1]) + ("." if loc[:-1] else "") + str(loc[-1])
    if kind in ("extra_forbidden", "invalid_key"):
        at = _model_at(model, loc[:-1])
        keys = _keys(at) if at else []
        hint = suggest(loc[-1], keys) or (f"; known keys are {', '.join(keys)}" if keys else "")
        return Problem(path, line, f"unknown key {loc[-1]!r}{hint}")
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", err["ctx"]["expected"])
        return Problem(path, line, f"{describe(given)} is not allowed; must be one of "
                       f"{', '.join(choices)}{suggest(given, choices)}{bool_hint(given, False)}")
    if kind in ("greater_than_equal", "greater_than"):
        return Problem(path, line, f"must be at least {err['ctx'].get('ge', err['ctx'].get('gt'))}"
                       f" (got {given})")
    if kind in ("less_than_equal", "less_than"):
        return Problem(path, line, f"must be at most {err['ctx'].get('le', err['ctx'].get('lt'))}"
                       f" (got {given})")
    if kind == "value_error":
        return Problem(path, line, str(err["ctx"]["error"]))
    if kind in EXPECTED:
        if loc == ("nodes",) and kind == "list_type":
            return Problem(path, line, f"expected a list of nodes, got {describe(given)}")
        hint = bool_hint(given) if kind == "string_type" else ""
        return Problem(path, line, f"{EXPECTED[kind]}, got {describe(given)}{hint}")
    return Problem(path, line, f"{err['msg']} (got {describe(given)})")

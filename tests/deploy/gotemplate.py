"""Renders the few Go-template forms deploy/helm/templates/ uses, so tests can read the hook Job as
Kubernetes would receive it without a helm binary: comments, `{{ .Path.To.value }}`,
`{{ $var.path }}` and `{{ $var := index .Path "key" 0 }}`, with `{{-` trimming the whitespace
before it. Anything else raises, which keeps the templates inside what this reads faithfully;
`helm template deploy/helm` is the real renderer (docs/DEPLOYMENT.md).
"""

import re

ACTION = re.compile(r"(\s*)\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)
PATH = re.compile(r"^(\$\w+|)((?:\.[\w-]+)+)$")
INDEX = re.compile(r"^(\$\w+)\s*:=\s*index\s+(\S+)((?:\s+(?:\"[^\"]*\"|\d+))+)$")


def _lookup(scope: dict, variables: dict, expression: str):
    match = PATH.match(expression)
    if not match:
        raise ValueError(f"unsupported template expression: {expression!r}")
    value = variables[match.group(1)] if match.group(1) else scope
    for key in match.group(2).strip(".").split("."):
        value = value[key]
    return value


def _index(value, keys: str):
    for key in re.findall(r"\"([^\"]*)\"|(\d+)", keys):
        value = value[key[0]] if key[0] or not key[1] else value[int(key[1])]
    return value


def render(template: str, values: dict, release: dict) -> str:
    scope = {"Values": values, "Release": release}
    variables: dict = {}

    def action(match: re.Match) -> str:
        space, trim_left, body, trim_right = match.groups()
        if trim_right:
            raise ValueError(f"unsupported right trim in {{{{ {body} -}}}}")
        kept = "" if trim_left else space
        if body.startswith("/*") and body.endswith("*/"):
            return kept
        assignment = INDEX.match(body)
        if assignment:
            variable, source, keys = assignment.groups()
            variables[variable] = _index(_lookup(scope, variables, source), keys)
            return kept
        return kept + str(_lookup(scope, variables, body))

    return ACTION.sub(action, template)

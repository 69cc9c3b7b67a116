"""The ``genecontainer_0_1`` workflow template: parse, validate (strict or lenient), expand.

Public API (see contracts.md)::

    load_template(path, file=None) -> Template      parse_template(text, file) -> Template
    Template.inputs / .step_names / .validate(strict) / .check_inputs(values)
    Template.resolve_inputs(values) / .expand(inputs) -> JobGraph
    convert_input(value, type_name)                 JobGraph.steps / .cost()
    StepPlan.expand_runtime(stdout_of)              Condition.evaluate(stdout_of)
"""

from gcsapply.template.graph import (
                                     CheckResult,
                                     Condition,
                                     Cost,
                                     Dependency,
                                     GetResult,
                                     InputSpec,
                                     JobGraph,
                                     Literal,
                                     StepPlan,
                                     Volume,
)
from gcsapply.template.parse import Template, load_template, parse_template
from gcsapply.template.values import INPUT_TYPES, convert_input, render_value

__all__ = [
    "CheckResult", "Condition", "Cost", "Dependency", "GetResult", "INPUT_TYPES", "InputSpec",
    "JobGraph", "Literal", "StepPlan", "Template", "Volume", "convert_input", "load_template",
    "parse_template", "render_value",
]

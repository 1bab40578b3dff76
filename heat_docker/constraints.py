"""Custom constraints for template parameters (the heat.constraints entry
point): ``custom_constraint: docker.image``, ``docker.endpoint``,
``docker.port``. The patterns are the container properties' own."""

import re

from heat.engine import constraints

from heat_docker import container_spec as cspec


class _PatternConstraint(constraints.BaseCustomConstraint):
    pattern = None

    def validate(self, value, context, template=None):
        self._error_message = 'must be %s' % self.pattern.description
        return isinstance(value, str) and bool(
            re.match(self.pattern.regex, value)
        )


class ImageConstraint(_PatternConstraint):
    pattern = cspec.IMAGE_REFERENCE


class EndpointConstraint(_PatternConstraint):
    pattern = cspec.ENDPOINT


class PortConstraint(_PatternConstraint):
    pattern = cspec.PORT
